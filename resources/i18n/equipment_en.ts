<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
  <context>
    <name>EquipmentScreen</name>
    <message>
      <source>En attente</source>
      <translation>Waiting</translation>
    </message>
    <message>
      <source>En cours</source>
      <translation>Running</translation>
    </message>
    <message>
      <source>Correct</source>
      <translation>Fine</translation>
    </message>
    <message>
      <source>Attention</source>
      <translation>Warning</translation>
    </message>
    <message>
      <source>Échec</source>
      <translation>Failed</translation>
    </message>
    <message>
      <source>Vérification de l'équipement</source>
      <translation>Equipment check</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Relancer la vérification</source>
      <translation>Run the check again</translation>
    </message>
    <message>
      <source>Continuer</source>
      <translation>Continue</translation>
    </message>
    <message>
      <source>Oui, je l'ai entendu</source>
      <translation>Yes, I heard it</translation>
    </message>
    <message>
      <source>Non</source>
      <translation>No</translation>
    </message>
    <message>
      <source>Pas d'image de la caméra</source>
      <translation>No picture from the camera</translation>
    </message>
    <message>
      <source>Dites quelques mots à voix haute, près du micro.</source>
      <translation>Say a few words out loud, close to the microphone.</translation>
    </message>
    <message>
      <source>Posez le stéthoscope sur la poitrine ou tapotez-le.</source>
      <translation>Put the stethoscope on the chest or tap it.</translation>
    </message>
    <message>
      <source>Micro</source>
      <translation>Microphone</translation>
    </message>
    <message>
      <source>Stéthoscope</source>
      <translation>Stethoscope</translation>
    </message>
    <message>
      <source>Équipement prêt. Vous pouvez continuer.</source>
      <translation>Equipment ready. You can continue.</translation>
    </message>
    <message>
      <source>Un élément indispensable ne fonctionne pas : suivez l'indication en rouge puis relancez la vérification.</source>
      <translation>A required item does not work: follow the instruction in red, then run the check again.</translation>
    </message>
    <message>
      <source>Aucune</source>
      <translation>None</translation>
    </message>
    <message>
      <source>Simulée (démo)</source>
      <translation>Simulated (demo)</translation>
    </message>
    <message>
      <source>Enregistrer le choix des caméras</source>
      <translation>Save the camera choice</translation>
    </message>
    <message>
      <source>Choisir les caméras…</source>
      <translation>Choose the cameras…</translation>
    </message>
    <message>
      <source>Impossible d'enregistrer : vérifiez l'espace disque.</source>
      <translation>Could not save: check the disk space.</translation>
    </message>
    <message>
      <source>Choix enregistrés : ils s'appliqueront au prochain démarrage.</source>
      <translation>Choices saved: they apply at the next start.</translation>
    </message>
  </context>
  <context>
    <name>LevelBar</name>
    <message>
      <source>%1 : %2 dB (crête %3 dB)</source>
      <translation>%1: %2 dB (peak %3 dB)</translation>
    </message>
  </context>
  <context>
    <name>VideoPreview</name>
    <message>
      <source>Aperçu de la caméra</source>
      <translation>Camera preview</translation>
    </message>
    <message>
      <source>Pas d'image</source>
      <translation>No picture</translation>
    </message>
  </context>
</TS>