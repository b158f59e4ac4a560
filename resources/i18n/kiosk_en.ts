<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
    <context>
        <name>KioskHome</name>
        <message>
            <source>Commencée</source>
            <translation>Started</translation>
        </message>
        <message>
            <source>Patient identifié</source>
            <translation>Patient identified</translation>
        </message>
        <message>
            <source>Consentement recueilli</source>
            <translation>Consent given</translation>
        </message>
        <message>
            <source>Mesures en cours</source>
            <translation>Measuring</translation>
        </message>
        <message>
            <source>En consultation</source>
            <translation>In consultation</translation>
        </message>
        <message>
            <source>Clôture en cours</source>
            <translation>Wrapping up</translation>
        </message>
        <message>
            <source>Terminée</source>
            <translation>Finished</translation>
        </message>
        <message>
            <source>Abandonnée</source>
            <translation>Abandoned</translation>
        </message>
        <message>
            <source>Consultations du jour</source>
            <translation>Today's consultations</translation>
        </message>
        <message>
            <source>Brouillons à reprendre</source>
            <translation>Drafts to resume</translation>
        </message>
        <message>
            <source>Rendez-vous</source>
            <translation>Appointments</translation>
        </message>
        <message>
            <source>Facturation</source>
            <translation>Billing</translation>
        </message>
        <message>
            <source>Équipement</source>
            <translation>Equipment</translation>
        </message>
        <message>
            <source>Aucun brouillon en attente.</source>
            <translation>No draft waiting.</translation>
        </message>
        <message>
            <source>Aucun rendez-vous aujourd'hui.</source>
            <translation>No appointment today.</translation>
        </message>
        <message>
            <source>Aucune consultation aujourd'hui.</source>
            <translation>No consultation today.</translation>
        </message>
        <message>
            <source>{n} consultation(s), dont {closed} terminée(s)</source>
            <translation>{n} consultation(s), {closed} finished</translation>
        </message>
        <message>
            <source>Tout est transmis au hub.</source>
            <translation>Everything has been sent to the hub.</translation>
        </message>
        <message>
            <source>{n} dossier(s) en attente d'envoi au hub</source>
            <translation>{n} record(s) waiting to be sent to the hub</translation>
        </message>
        <message>
            <source>{n} envoi(s) en échec : vérifiez la connexion</source>
            <translation>{n} failed upload(s): check the connection</translation>
        </message>
        <message>
            <source>Pas encore vérifié depuis le démarrage.</source>
            <translation>Not checked since the station started.</translation>
        </message>
        <message>
            <source>Vérifié à {time} : ÉCHEC, consultation impossible</source>
            <translation>Checked at {time}: FAILED, no consultation possible</translation>
        </message>
        <message>
            <source>Vérifié à {time} : avertissements</source>
            <translation>Checked at {time}: warnings</translation>
        </message>
        <message>
            <source>Vérifié à {time} : tout fonctionne</source>
            <translation>Checked at {time}: everything works</translation>
        </message>
        <message>
            <source>Commencée à {time} — {state}</source>
            <translation>Started at {time} — {state}</translation>
        </message>
        <message>
            <source>… et {n} autre(s)</source>
            <translation>… and {n} more</translation>
        </message>
    </context>
    <context>
        <name>KioskA11y</name>
        <message>
            <source>Accessibilité</source>
            <translation>Accessibility</translation>
        </message>
        <message>
            <source>Options d'accessibilité</source>
            <translation>Accessibility options</translation>
        </message>
        <message>
            <source>Grands caractères</source>
            <translation>Large text</translation>
        </message>
        <message>
            <source>Contraste élevé</source>
            <translation>High contrast</translation>
        </message>
        <message>
            <source>Guidage vocal des mesures</source>
            <translation>Spoken guidance for measurements</translation>
        </message>
        <message>
            <source>Guidage vocal indisponible (aucune synthèse vocale)</source>
            <translation>Spoken guidance unavailable (no speech synthesis)</translation>
        </message>
    </context>
    <context>
        <name>KioskSummary</name>
        <message>
            <source>Spécialité du téléconsultant</source>
            <translation>Teleconsultant's specialty</translation>
        </message>
        <message>
            <source>Situation déclarée (parcours de soins)</source>
            <translation>Situation declared (coordinated care pathway)</translation>
        </message>
        <message>
            <source>Aucune réponse cochée</source>
            <translation>No answer ticked</translation>
        </message>
    </context>
</TS>