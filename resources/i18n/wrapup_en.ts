<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
  <context>
    <name>WrapUpScreen</name>
    <message>
      <source>Fin de consultation</source>
      <translation>End of consultation</translation>
    </message>
    <message>
      <source>Acte du médecin</source>
      <translation>Doctor's act</translation>
    </message>
    <message>
      <source>Acte (NGAP)</source>
      <translation>Act (NGAP)</translation>
    </message>
    <message>
      <source>Issue</source>
      <translation>Outcome</translation>
    </message>
    <message>
      <source>Médecin</source>
      <translation>Doctor</translation>
    </message>
    <message>
      <source>RPPS</source>
      <translation>RPPS</translation>
    </message>
    <message>
      <source>Spécialité</source>
      <translation>Specialty</translation>
    </message>
    <message>
      <source>Acte du médecin (code NGAP)</source>
      <translation>Doctor's act (NGAP code)</translation>
    </message>
    <message>
      <source>Professionnel accompagnant</source>
      <translation>Accompanying professional</translation>
    </message>
    <message>
      <source>Rôle</source>
      <translation>Role</translation>
    </message>
    <message>
      <source>Cadre infirmier</source>
      <translation>Nursing setting</translation>
    </message>
    <message>
      <source>Nom</source>
      <translation>Name</translation>
    </message>
    <message>
      <source>Dans le parcours de soins coordonnés</source>
      <translation>Within the coordinated care pathway</translation>
    </message>
    <message>
      <source>Documents imprimés</source>
      <translation>Documents printed</translation>
    </message>
    <message>
      <source>Aucun document reçu.</source>
      <translation>No document received.</translation>
    </message>
    <message>
      <source>Désinfection de la cabine</source>
      <translation>Cabin disinfection</translation>
    </message>
    <message>
      <source>Faite par</source>
      <translation>Done by</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Clôturer la consultation</source>
      <translation>Close the consultation</translation>
    </message>
    <message>
      <source>Acte repris du résumé du médecin : vérifiez-le.</source>
      <translation>Act taken from the doctor's summary: check it.</translation>
    </message>
    <message>
      <source>Le médecin n'a pas envoyé de résumé : saisissez l'acte.</source>
      <translation>The doctor sent no summary: enter the act.</translation>
    </message>
    <message>
      <source>Imprimer le compte rendu pour le patient</source>
      <translation>Print the consultation record for the patient</translation>
    </message>
    <message>
      <source>Prise en charge</source>
      <translation>Coverage</translation>
    </message>
    <message>
      <source>Exonération</source>
      <translation>Exemption</translation>
    </message>
    <message>
      <source>Exonération du ticket modérateur</source>
      <translation>Exemption from the patient's share (ticket modérateur)</translation>
    </message>
    <message>
      <source>Complémentaire santé (mutuelle)</source>
      <translation>Complementary health insurance (mutuelle)</translation>
    </message>
    <message>
      <source>Médecin {tariff} : Assurance Maladie {amo}, complémentaire {amc}, patient {patient} (dont participation forfaitaire {pf}).</source>
      <translation>Doctor {tariff}: Assurance Maladie {amo}, complementary insurance {amc}, patient {patient} (including the {pf} flat contribution).</translation>
    </message>
    <message>
      <source>Accompagnement {code} : {amount}.</source>
      <translation>Accompaniment {code}: {amount}.</translation>
    </message>
    <message>
      <source>Plafond annuel de l'accompagnement atteint ({cap}).</source>
      <translation>Yearly accompaniment cap reached ({cap}).</translation>
    </message>
  </context>
  <context>
    <name>SyncStatusWidget</name>
    <message>
      <source>État de l'envoi de la facturation</source>
      <translation>Billing sync status</translation>
    </message>
  </context>
</TS>