<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
  <context>
    <name>ExpertiseScreen</name>
    <message>
      <source>Aucune constante mesurée pour ce patient.</source>
      <translation>No vital sign measured for this patient.</translation>
    </message>
    <message>
      <source>Choisissez l'expert.</source>
      <translation>Choose the expert.</translation>
    </message>
    <message>
      <source>Constantes jointes</source>
      <translation>Vital signs attached</translation>
    </message>
    <message>
      <source>Demande de télé-expertise</source>
      <translation>Tele-expertise request</translation>
    </message>
    <message>
      <source>Demande enregistrée : elle part dès que le serveur est joignable.</source>
      <translation>Request saved: it leaves as soon as the server can be reached.</translation>
    </message>
    <message>
      <source>Demande incomplète : vérifiez chaque champ.</source>
      <translation>Incomplete request: check each field.</translation>
    </message>
    <message>
      <source>Demandes envoyées</source>
      <translation>Requests sent</translation>
    </message>
    <message>
      <source>En attente d'envoi</source>
      <translation>Waiting to be sent</translation>
    </message>
    <message>
      <source>Envoyer la demande</source>
      <translation>Send the request</translation>
    </message>
    <message>
      <source>Envoyée, en attente de réponse</source>
      <translation>Sent, waiting for the answer</translation>
    </message>
    <message>
      <source>Expert</source>
      <translation>Expert</translation>
    </message>
    <message>
      <source>Expert sollicité</source>
      <translation>Expert asked</translation>
    </message>
    <message>
      <source>Identifiez d'abord le patient.</source>
      <translation>Identify the patient first.</translation>
    </message>
    <message>
      <source>Imprimer la réponse</source>
      <translation>Print the answer</translation>
    </message>
    <message>
      <source>Le demandeur n'est pas reconnu : reconnectez-vous.</source>
      <translation>The requester is not recognised: sign in again.</translation>
    </message>
    <message>
      <source>Non urgent</source>
      <translation>Routine</translation>
    </message>
    <message>
      <source>Photo ajoutée ({w} × {h} pixels).</source>
      <translation>Photo added ({w} × {h} pixels).</translation>
    </message>
    <message>
      <source>Photo caméra cabine</source>
      <translation>Cabin camera photo</translation>
    </message>
    <message>
      <source>Photo caméra document</source>
      <translation>Document camera photo</translation>
    </message>
    <message>
      <source>Photo dermatoscope</source>
      <translation>Dermatoscope photo</translation>
    </message>
    <message>
      <source>Photo en cours…</source>
      <translation>Taking the photo…</translation>
    </message>
    <message>
      <source>Photo impossible : vérifiez que la caméra est branchée.</source>
      <translation>No photo: check that the camera is plugged in.</translation>
    </message>
    <message>
      <source>Photo otoscope</source>
      <translation>Otoscope photo</translation>
    </message>
    <message>
      <source>Photo {n}</source>
      <translation>Photo {n}</translation>
    </message>
    <message>
      <source>Photos (pleine résolution)</source>
      <translation>Photos (full resolution)</translation>
    </message>
    <message>
      <source>Question posée à l'expert</source>
      <translation>Question for the expert</translation>
    </message>
    <message>
      <source>Refusée</source>
      <translation>Refused</translation>
    </message>
    <message>
      <source>Retirer</source>
      <translation>Remove</translation>
    </message>
    <message>
      <source>Retirer la photo {n}</source>
      <translation>Remove photo {n}</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
    <message>
      <source>Réponse de l'expert</source>
      <translation>Expert's answer</translation>
    </message>
    <message>
      <source>Réponse imprimée.</source>
      <translation>Answer printed.</translation>
    </message>
    <message>
      <source>Réponse reçue</source>
      <translation>Answer received</translation>
    </message>
    <message>
      <source>Trop de photos (6 au plus).</source>
      <translation>Too many photos (6 at most).</translation>
    </message>
    <message>
      <source>Une téléconsultation est nécessaire.</source>
      <translation>A teleconsultation is needed.</translation>
    </message>
    <message>
      <source>Urgence</source>
      <translation>Urgency</translation>
    </message>
    <message>
      <source>Urgent</source>
      <translation>Urgent</translation>
    </message>
    <message>
      <source>À vérifier</source>
      <translation>To check</translation>
    </message>
    <message>
      <source>Écrivez la question (au moins 3 caractères).</source>
      <translation>Write the question (3 characters at least).</translation>
    </message>
  </context>
</TS>
