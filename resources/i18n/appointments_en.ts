<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
  <context>
    <name>AppointmentsScreen</name>
    <message>
      <source>Date</source>
      <translation>Date</translation>
    </message>
    <message>
      <source>Heure (Paris)</source>
      <translation>Time (Paris)</translation>
    </message>
    <message>
      <source>Durée (min)</source>
      <translation>Duration (min)</translation>
    </message>
    <message>
      <source>Département du patient</source>
      <translation>Patient's département</translation>
    </message>
    <message>
      <source>Médecin</source>
      <translation>Doctor</translation>
    </message>
    <message>
      <source>Médecin sans compte (invitation)</source>
      <translation>Doctor without an account (invitation)</translation>
    </message>
    <message>
      <source>Nom du médecin invité</source>
      <translation>Invited doctor's name</translation>
    </message>
    <message>
      <source>E-mail sécurisé du médecin invité</source>
      <translation>Invited doctor's secure e-mail</translation>
    </message>
    <message>
      <source>Motif</source>
      <translation>Reason</translation>
    </message>
    <message>
      <source>Patient (initiales, chambre)</source>
      <translation>Patient (initials, room)</translation>
    </message>
    <message>
      <source>Pourquoi ce médecin</source>
      <translation>Why this doctor</translation>
    </message>
    <message>
      <source>annulé</source>
      <translation>cancelled</translation>
    </message>
    <message>
      <source>Aucun rendez-vous ce jour.</source>
      <translation>No appointment that day.</translation>
    </message>
    <message>
      <source>du territoire</source>
      <translation>in the territory</translation>
    </message>
    <message>
      <source>Rendez-vous enregistré.</source>
      <translation>Appointment booked.</translation>
    </message>
    <message>
      <source>Invitation envoyée au médecin (lien et code).</source>
      <translation>Invitation sent to the doctor (link and code).</translation>
    </message>
    <message>
      <source>Nouvelle invitation envoyée.</source>
      <translation>New invitation sent.</translation>
    </message>
    <message>
      <source>Rendez-vous de téléconsultation</source>
      <translation>Teleconsultation appointments</translation>
    </message>
    <message>
      <source>Jour affiché</source>
      <translation>Day shown</translation>
    </message>
    <message>
      <source>Rendez-vous du jour</source>
      <translation>Appointments of the day</translation>
    </message>
    <message>
      <source>Réserver</source>
      <translation>Book</translation>
    </message>
    <message>
      <source>Annuler le rendez-vous</source>
      <translation>Cancel the appointment</translation>
    </message>
    <message>
      <source>Renvoyer l'invitation</source>
      <translation>Resend the invitation</translation>
    </message>
    <message>
      <source>Retour</source>
      <translation>Back</translation>
    </message>
  </context>
</TS>
