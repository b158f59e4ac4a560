<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="fr">
  <context>
    <name>MainWindow</name>
    <message>
      <source>Télécabine</source>
      <translation>Telecabine</translation>
    </message>
    <message>
      <source>Changer de langue</source>
      <translation>Change language</translation>
    </message>
    <message>
      <source>Verrouiller</source>
      <translation>Lock</translation>
    </message>
    <message>
      <source>Verrouiller la station</source>
      <translation>Lock the station</translation>
    </message>
    <message>
      <source>Patient suivant</source>
      <translation>Next patient</translation>
    </message>
    <message>
      <source>Patient suivant : tout effacer</source>
      <translation>Next patient: clear everything</translation>
    </message>
    <message>
      <source>Nom de la cabine</source>
      <translation>Cabin name</translation>
    </message>
    <message>
      <source>Personnel</source>
      <translation>Staff</translation>
    </message>
    <message>
      <source>Comptes du personnel</source>
      <translation>Staff accounts</translation>
    </message>
    <message>
      <source>Attention : la clé de chiffrement de la base est gardée dans un fichier non protégé (aucun trousseau sécurisé). Réservé aux tests et aux démonstrations : n'utilisez pas cette station avec de vrais patients.</source>
      <translation>Warning: the database encryption key is kept in an unprotected file (no secure keyring). For tests and demonstrations only: do not use this station with real patients.</translation>
    </message>
    <message>
      <source>Avertissement de sécurité</source>
      <translation>Security warning</translation>
    </message>
  </context>
  <context>
    <name>HomeScreen</name>
    <message>
      <source>Une consultation commencée à {time} a été interrompue. La reprendre ?</source>
      <translation>An encounter started at {time} was interrupted. Resume it?</translation>
    </message>
    <message>
      <source>Bienvenue dans la cabine de téléconsultation</source>
      <translation>Welcome to the teleconsultation cabin</translation>
    </message>
    <message>
      <source>Accueillez le patient puis appuyez sur « Nouveau patient » pour commencer.</source>
      <translation>Greet the patient, then press “New patient” to begin.</translation>
    </message>
    <message>
      <source>Nouveau patient</source>
      <translation>New patient</translation>
    </message>
    <message>
      <source>Commencer avec un nouveau patient</source>
      <translation>Start with a new patient</translation>
    </message>
    <message>
      <source>Reprendre</source>
      <translation>Resume</translation>
    </message>
    <message>
      <source>Reprendre la consultation interrompue</source>
      <translation>Resume the interrupted encounter</translation>
    </message>
    <message>
      <source>Abandonner</source>
      <translation>Discard</translation>
    </message>
    <message>
      <source>Abandonner la consultation interrompue</source>
      <translation>Discard the interrupted encounter</translation>
    </message>
    <message>
      <source>Refus de consentement enregistré. La station est prête pour le patient suivant.</source>
      <translation>Consent refusal recorded. The station is ready for the next patient.</translation>
    </message>
      <message>
      <source>Résidents</source>
      <translation>Residents</translation>
    </message>
    <message>
      <source>Rendez-vous</source>
      <translation>Appointments</translation>
    </message>
    <message>
      <source>Télé-expertise</source>
      <translation>Tele-expertise</translation>
    </message>
  </context>
  <context>
    <name>PatientScreen</name>
    <message>
      <source>Nom de naissance</source>
      <translation>Birth name</translation>
    </message>
    <message>
      <source>Prénoms de naissance (séparés par des virgules)</source>
      <translation>Birth first names (separated by commas)</translation>
    </message>
    <message>
      <source>Nom utilisé (facultatif)</source>
      <translation>Used name (optional)</translation>
    </message>
    <message>
      <source>Date de naissance (JJ/MM/AAAA)</source>
      <translation>Date of birth (DD/MM/YYYY)</translation>
    </message>
    <message>
      <source>Code INSEE du lieu de naissance (99xxx : à l'étranger)</source>
      <translation>INSEE code of the place of birth (99xxx: abroad)</translation>
    </message>
    <message>
      <source>NIR (n° de sécurité sociale, 15 caractères)</source>
      <translation>NIR (social security number, 15 characters)</translation>
    </message>
    <message>
      <source>—</source>
      <translation>—</translation>
    </message>
    <message>
      <source>Féminin</source>
      <translation>Female</translation>
    </message>
    <message>
      <source>Masculin</source>
      <translation>Male</translation>
    </message>
    <message>
      <source>Indéterminé</source>
      <translation>Indeterminate</translation>
    </message>
    <message>
      <source>Touriste / assuré étranger</source>
      <translation>Tourist / foreign insured</translation>
    </message>
    <message>
      <source>AME</source>
      <translation>AME (state medical aid)</translation>
    </message>
    <message>
      <source>NIR inconnu</source>
      <translation>NIR unknown</translation>
    </message>
    <message>
      <source>Le patient n'a pas de médecin traitant</source>
      <translation>The patient has no regular doctor (médecin traitant)</translation>
    </message>
    <message>
      <source>Orienté par son médecin traitant</source>
      <translation>Referred by their regular doctor</translation>
    </message>
    <message>
      <source>Le téléconsultant est son médecin traitant</source>
      <translation>The teleconsulting doctor is their regular doctor</translation>
    </message>
    <message>
      <source>Médecin traitant indisponible dans un délai utile</source>
      <translation>Regular doctor not available in time</translation>
    </message>
    <message>
      <source>Vu en présentiel par ce médecin depuis moins de 12 mois</source>
      <translation>Seen in person by this doctor within 12 months</translation>
    </message>
    <message>
      <source>Alternance présentiel / téléconsultation respectée</source>
      <translation>In-person / remote alternation respected</translation>
    </message>
    <message>
      <source>Médecin du territoire du patient</source>
      <translation>Doctor in the patient's area</translation>
    </message>
    <message>
      <source>Résident d'EHPAD ou d'un établissement pour adultes handicapés</source>
      <translation>Resident of a nursing home (EHPAD) or disability facility</translation>
    </message>
    <message>
      <source>Affection de longue durée (ALD) concernée</source>
      <translation>Long-term condition (ALD) concerned</translation>
    </message>
    <message>
      <source>Maternité</source>
      <translation>Maternity</translation>
    </message>
    <message>
      <source>Urgence</source>
      <translation>Emergency</translation>
    </message>
    <message>
      <source>Médecine générale</source>
      <translation>General practice</translation>
    </message>
    <message>
      <source>Pédiatrie</source>
      <translation>Paediatrics</translation>
    </message>
    <message>
      <source>Gynécologie</source>
      <translation>Gynaecology</translation>
    </message>
    <message>
      <source>Psychiatrie</source>
      <translation>Psychiatry</translation>
    </message>
    <message>
      <source>Ophtalmologie</source>
      <translation>Ophthalmology</translation>
    </message>
    <message>
      <source>Autre spécialité</source>
      <translation>Other specialty</translation>
    </message>
    <message>
      <source>Raison pour passer outre (obligatoire)</source>
      <translation>Reason to override (required)</translation>
    </message>
    <message>
      <source>Raison pour passer outre l'avertissement</source>
      <translation>Reason to override the warning</translation>
    </message>
    <message>
      <source>Identité du patient</source>
      <translation>Patient identity</translation>
    </message>
    <message>
      <source>Sexe</source>
      <translation>Sex</translation>
    </message>
    <message>
      <source>Sans NIR : raison</source>
      <translation>Without NIR: reason</translation>
    </message>
    <message>
      <source>JJ/MM/AAAA</source>
      <translation>DD/MM/YYYY</translation>
    </message>
    <message>
      <source>Situation (parcours de soins)</source>
      <translation>Situation (coordinated care pathway)</translation>
    </message>
    <message>
      <source>Spécialité du médecin téléconsultant</source>
      <translation>Teleconsulting doctor's specialty</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Retour à l'accueil</source>
      <translation>Back to home</translation>
    </message>
    <message>
      <source>Continuer</source>
      <translation>Continue</translation>
    </message>
    <message>
      <source>Continuer vers le consentement</source>
      <translation>Continue to consent</translation>
    </message>
    <message>
      <source>Motif de consultation</source>
      <translation>Reason for the visit</translation>
    </message>
  </context>
  <context>
    <name>ConsentScreen</name>
    <message>
      <source>Le patient</source>
      <translation>The patient</translation>
    </message>
    <message>
      <source>Représentant légal</source>
      <translation>Legal representative</translation>
    </message>
    <message>
      <source>Personne de confiance</source>
      <translation>Trusted person</translation>
    </message>
    <message>
      <source>Version du texte : {ref}</source>
      <translation>Text version: {ref}</translation>
    </message>
    <message>
      <source>Qui répond</source>
      <translation>Who answers</translation>
    </message>
    <message>
      <source>Nom</source>
      <translation>Name</translation>
    </message>
    <message>
      <source>Nom de la personne qui répond</source>
      <translation>Name of the person answering</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Retour à l'identité</source>
      <translation>Back to identity</translation>
    </message>
    <message>
      <source>Refuse</source>
      <translation>Refuses</translation>
    </message>
    <message>
      <source>Le patient refuse la téléconsultation</source>
      <translation>The patient refuses the teleconsultation</translation>
    </message>
    <message>
      <source>Accepte</source>
      <translation>Agrees</translation>
    </message>
    <message>
      <source>Le patient accepte la téléconsultation</source>
      <translation>The patient agrees to the teleconsultation</translation>
    </message>
  </context>
  <context>
    <name>SummaryScreen</name>
    <message>
      <source>Nom de naissance</source>
      <translation>Birth name</translation>
    </message>
    <message>
      <source>Prénoms</source>
      <translation>First names</translation>
    </message>
    <message>
      <source>Date de naissance</source>
      <translation>Date of birth</translation>
    </message>
    <message>
      <source>Sexe</source>
      <translation>Sex</translation>
    </message>
    <message>
      <source>Lieu de naissance (INSEE)</source>
      <translation>Place of birth (INSEE)</translation>
    </message>
    <message>
      <source>NIR</source>
      <translation>NIR</translation>
    </message>
    <message>
      <source>Statut de l'identité</source>
      <translation>Identity status</translation>
    </message>
    <message>
      <source>Consentement</source>
      <translation>Consent</translation>
    </message>
    <message>
      <source>Parcours de soins</source>
      <translation>Care pathway</translation>
    </message>
    <message>
      <source>Donné par : {who} (texte {ref})</source>
      <translation>Given by: {who} (text {ref})</translation>
    </message>
    <message>
      <source>Non recueilli</source>
      <translation>Not recorded</translation>
    </message>
    <message>
      <source>Récapitulatif</source>
      <translation>Summary</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Retour au consentement</source>
      <translation>Back to consent</translation>
    </message>
    <message>
      <source>Vérifier l'équipement</source>
      <translation>Check the equipment</translation>
    </message>
    <message>
      <source>Continuer vers la vérification de l'équipement</source>
      <translation>Continue to the equipment check</translation>
    </message>
  </context>
  <context>
    <name>SignInScreen</name>
    <message>
      <source>Les deux codes ne sont pas identiques.</source>
      <translation>The two PINs are not the same.</translation>
    </message>
    <message>
      <source>Première mise en service</source>
      <translation>First start-up</translation>
    </message>
    <message>
      <source>Créez le compte administrateur de la station.</source>
      <translation>Create the station's administrator account.</translation>
    </message>
    <message>
      <source>Créer et se connecter</source>
      <translation>Create and sign in</translation>
    </message>
    <message>
      <source>Connexion du personnel</source>
      <translation>Staff sign-in</translation>
    </message>
    <message>
      <source>Identifiant et code PIN personnels.</source>
      <translation>Your own login and PIN.</translation>
    </message>
    <message>
      <source>Se connecter</source>
      <translation>Sign in</translation>
    </message>
    <message>
      <source>Identifiant</source>
      <translation>Login</translation>
    </message>
    <message>
      <source>Nom affiché</source>
      <translation>Display name</translation>
    </message>
    <message>
      <source>N° RPPS (facultatif)</source>
      <translation>RPPS number (optional)</translation>
    </message>
    <message>
      <source>Code PIN (6 chiffres ou plus)</source>
      <translation>PIN (6 digits or more)</translation>
    </message>
    <message>
      <source>Confirmer le code PIN</source>
      <translation>Confirm the PIN</translation>
    </message>
  </context>
  <context>
    <name>StaffAdminScreen</name>
    <message>
      <source>Pharmacien</source>
      <translation>Pharmacist</translation>
    </message>
    <message>
      <source>Infirmier</source>
      <translation>Nurse</translation>
    </message>
    <message>
      <source>Aide-soignant</source>
      <translation>Care assistant</translation>
    </message>
    <message>
      <source>Administrateur</source>
      <translation>Administrator</translation>
    </message>
    <message>
      <source>Compte créé.</source>
      <translation>Account created.</translation>
    </message>
    <message>
      <source>Choisissez un compte dans la liste.</source>
      <translation>Choose an account in the list.</translation>
    </message>
    <message>
      <source>Code provisoire enregistré.</source>
      <translation>Temporary PIN saved.</translation>
    </message>
    <message>
      <source>Comptes du personnel</source>
      <translation>Staff accounts</translation>
    </message>
    <message>
      <source>Identifiant</source>
      <translation>Login</translation>
    </message>
    <message>
      <source>Nom affiché</source>
      <translation>Display name</translation>
    </message>
    <message>
      <source>Rôle</source>
      <translation>Role</translation>
    </message>
    <message>
      <source>N° RPPS</source>
      <translation>RPPS number</translation>
    </message>
    <message>
      <source>N° Assurance Maladie</source>
      <translation>Assurance Maladie number</translation>
    </message>
    <message>
      <source>Code PIN provisoire</source>
      <translation>Temporary PIN</translation>
    </message>
    <message>
      <source>Comptes</source>
      <translation>Accounts</translation>
    </message>
    <message>
      <source>Nouveau code provisoire</source>
      <translation>New temporary PIN</translation>
    </message>
    <message>
      <source>Réinitialiser le code</source>
      <translation>Reset the PIN</translation>
    </message>
    <message>
      <source>Réinitialiser le code du compte choisi</source>
      <translation>Reset the chosen account's PIN</translation>
    </message>
    <message>
      <source>Créer le compte</source>
      <translation>Create the account</translation>
    </message>
    <message>
      <source>Fermer</source>
      <translation>Close</translation>
    </message>
    <message>
      <source>Fermer et revenir</source>
      <translation>Close and go back</translation>
    </message>
  </context>
  <context>
    <name>LockScreen</name>
    <message>
      <source>Effacer un chiffre</source>
      <translation>Erase one digit</translation>
    </message>
    <message>
      <source>Vider</source>
      <translation>Clear</translation>
    </message>
    <message>
      <source>Vider le code</source>
      <translation>Clear the PIN</translation>
    </message>
    <message>
      <source>Station verrouillée</source>
      <translation>Station locked</translation>
    </message>
    <message>
      <source>Code PIN</source>
      <translation>PIN</translation>
    </message>
    <message>
      <source>Déverrouiller</source>
      <translation>Unlock</translation>
    </message>
    <message>
      <source>Déverrouiller la station</source>
      <translation>Unlock the station</translation>
    </message>
    <message>
      <source>Changer d'utilisateur</source>
      <translation>Switch user</translation>
    </message>
  </context>
  <context>
    <name>CrashNotice</name>
    <message>
      <source>erreur interne</source>
      <translation>an internal error</translation>
    </message>
    <message>
      <source>arrêt brutal</source>
      <translation>an abrupt stop</translation>
    </message>
    <message>
      <source>La station s'est arrêtée de façon inattendue ({what} ; session ouverte le {when}). Rien n'est perdu : reprenez le patient depuis l'accueil ; l'appel peut être relancé.</source>
      <translation>The station stopped unexpectedly ({what}; session started {when}). Nothing was lost: resume the patient from the home page; the call can be started again.</translation>
    </message>
    <message>
      <source>Arrêt inattendu de la station</source>
      <translation>Station stopped unexpectedly</translation>
    </message>
    <message>
      <source>Compris</source>
      <translation>Got it</translation>
    </message>
  </context>
</TS>
