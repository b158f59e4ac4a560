<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
  <context>
    <name>ResidentsScreen</name>
    <message>
      <source>ALD : oui</source>
      <translation>Long-term condition (ALD): yes</translation>
    </message>
    <message>
      <source>Ch. {room}</source>
      <translation>Room {room}</translation>
    </message>
    <message>
      <source>Chambre</source>
      <translation>Room</translation>
    </message>
    <message>
      <source>Choisissez un résident dans la liste.</source>
      <translation>Choose a resident in the list.</translation>
    </message>
    <message>
      <source>Commencer la consultation</source>
      <translation>Start the consultation</translation>
    </message>
    <message>
      <source>Consentement enregistré, à renouveler le {date}.</source>
      <translation>Consent recorded, to renew on {date}.</translation>
    </message>
    <message>
      <source>Consentement recueilli</source>
      <translation>Consent given</translation>
    </message>
    <message>
      <source>Consentement à la téléconsultation à recueillir.</source>
      <translation>Teleconsultation consent to collect.</translation>
    </message>
    <message>
      <source>consentement à recueillir</source>
      <translation>consent to collect</translation>
    </message>
    <message>
      <source>Date de naissance</source>
      <translation>Date of birth</translation>
    </message>
    <message>
      <source>Enregistrer le résident</source>
      <translation>Save the resident</translation>
    </message>
    <message>
      <source>Femme</source>
      <translation>Female</translation>
    </message>
    <message>
      <source>Homme</source>
      <translation>Male</translation>
    </message>
    <message>
      <source>Messagerie sécurisée du médecin</source>
      <translation>Doctor's secure e-mail</translation>
    </message>
    <message>
      <source>Médecin traitant</source>
      <translation>Regular doctor (médecin traitant)</translation>
    </message>
    <message>
      <source>Nom de naissance</source>
      <translation>Birth name</translation>
    </message>
    <message>
      <source>Nom ou chambre</source>
      <translation>Name or room</translation>
    </message>
    <message>
      <source>Nouveau résident</source>
      <translation>New resident</translation>
    </message>
    <message>
      <source>Personne de confiance</source>
      <translation>Trusted person</translation>
    </message>
    <message>
      <source>Prénoms</source>
      <translation>First names</translation>
    </message>
    <message>
      <source>Rechercher un résident par nom ou chambre</source>
      <translation>Search a resident by name or room</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Résidents</source>
      <translation>Residents</translation>
    </message>
    <message>
      <source>Sexe</source>
      <translation>Sex</translation>
    </message>
    <message>
      <source>Unité</source>
      <translation>Unit</translation>
    </message>
    <message>
      <source>NIR</source>
      <translation>NIR</translation>
    </message>
    <message>
      <source>ALD</source>
      <translation>Long-term condition (ALD)</translation>
    </message>
    <message>
      <source>non renseigné</source>
      <translation>not given</translation>
    </message>
    <message>
      <source>{name}, chambre {room} — médecin traitant : {mt}</source>
      <translation>{name}, room {room} — regular doctor: {mt}</translation>
    </message>
    <message>
      <source>Lieu de naissance (code INSEE)</source>
      <translation>Place of birth (INSEE code)</translation>
    </message>
  </context>
</TS>
