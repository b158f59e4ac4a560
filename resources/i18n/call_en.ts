<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
<context>
    <name>CallScreen</name>
    <message>
        <source>Aucune mesure pour l'instant</source>
        <translation>No measurement yet</translation>
    </message>
    <message>
        <source>Cabine</source>
        <translation>Cabin</translation>
    </message>
    <message>
        <source>Caméra de la pièce</source>
        <translation>Room camera</translation>
    </message>
    <message>
        <source>Caméra document</source>
        <translation>Document camera</translation>
    </message>
    <message>
        <source>Compte rendu reçu</source>
        <translation>Report received</translation>
    </message>
    <message>
        <source>Connexion au médecin…</source>
        <translation>Connecting to the doctor…</translation>
    </message>
    <message>
        <source>Consultation terminée</source>
        <translation>Consultation ended</translation>
    </message>
    <message>
        <source>Couper le micro</source>
        <translation>Mute the microphone</translation>
    </message>
    <message>
        <source>D'accord</source>
        <translation>All right</translation>
    </message>
    <message>
        <source>Dermatoscope</source>
        <translation>Dermatoscope</translation>
    </message>
    <message>
        <source>En attente d'un médecin — position {n}</source>
        <translation>Waiting for a doctor — position {n}</translation>
    </message>
    <message>
        <source>En attente d'un médecin…</source>
        <translation>Waiting for a doctor…</translation>
    </message>
    <message>
        <source>En consultation</source>
        <translation>In consultation</translation>
    </message>
    <message>
        <source>En direct : {cam}</source>
        <translation>Live: {cam}</translation>
    </message>
    <message>
        <source>Envoyer</source>
        <translation>Send</translation>
    </message>
    <message>
        <source>Image envoyée au médecin</source>
        <translation>Picture sent to the doctor</translation>
    </message>
    <message>
        <source>Imprimer à nouveau</source>
        <translation>Print again</translation>
    </message>
    <message>
        <source>Messages du médecin</source>
        <translation>Messages from the doctor</translation>
    </message>
    <message>
        <source>Mesurer maintenant</source>
        <translation>Measure now</translation>
    </message>
    <message>
        <source>Mesures</source>
        <translation>Measurements</translation>
    </message>
    <message>
        <source>Micro coupé</source>
        <translation>Microphone muted</translation>
    </message>
    <message>
        <source>Médecin</source>
        <translation>Doctor</translation>
    </message>
    <message>
        <source>Non</source>
        <translation>No</translation>
    </message>
    <message>
        <source>Ordonnance reçue</source>
        <translation>Prescription received</translation>
    </message>
    <message>
        <source>Otoscope</source>
        <translation>Otoscope</translation>
    </message>
    <message>
        <source>Oui</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>Pouvez-vous répéter ?</source>
        <translation>Could you repeat that?</translation>
    </message>
    <message>
        <source>Préparation de l'appel…</source>
        <translation>Preparing the call…</translation>
    </message>
    <message>
        <source>Reconnexion… l'appel va reprendre</source>
        <translation>Reconnecting… the call will resume</translation>
    </message>
    <message>
        <source>Stéthoscope écouté par le médecin</source>
        <translation>The doctor is listening to the stethoscope</translation>
    </message>
    <message>
        <source>Terminer l'appel</source>
        <translation>End the call</translation>
    </message>
    <message>
        <source>Un instant, s'il vous plaît</source>
        <translation>One moment, please</translation>
    </message>
    <message>
        <source>Vidéo du médecin</source>
        <translation>Doctor's video</translation>
    </message>
    <message>
        <source>Votre réponse au médecin</source>
        <translation>Your reply to the doctor</translation>
    </message>
    <message>
        <source>bas</source>
        <translation>low</translation>
    </message>
    <message>
        <source>critique</source>
        <translation>critical</translation>
    </message>
    <message>
        <source>imprimée</source>
        <translation>printed</translation>
    </message>
    <message>
        <source>non imprimée : utilisez « Imprimer à nouveau »</source>
        <translation>not printed: use “Print again”</translation>
    </message>
    <message>
        <source>élevé</source>
        <translation>high</translation>
    </message>
</context>
</TS>
