<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
<context>
    <name>MeasurementManual</name>
    <message>
        <source>« %1 » : saisissez un nombre (ex. 37,5).</source>
        <translation>“%1”: type a number (e.g. 37.5).</translation>
    </message>
    <message>
        <source>Saisie manuelle (sera marquée « manuelle »)</source>
        <translation>Manual entry (will be marked “manual”)</translation>
    </message>
    <message>
        <source>Enregistrer</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>MeasurementScreen</name>
    <message>
        <source>Température</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <source>Tension</source>
        <translation>Blood pressure</translation>
    </message>
    <message>
        <source>Oxygène</source>
        <translation>Oxygen</translation>
    </message>
    <message>
        <source>Poids</source>
        <translation>Weight</translation>
    </message>
    <message>
        <source>Pouls</source>
        <translation>Pulse</translation>
    </message>
    <message>
        <source>Placez le thermomètre sous la langue, bouche fermée, jusqu'au signal sonore.</source>
        <translation>Place the thermometer under the tongue, mouth closed, until it beeps.</translation>
    </message>
    <message>
        <source>Placez le brassard sur le bras gauche, deux doigts au-dessus du coude, bras posé sur la table à hauteur du cœur.</source>
        <translation>Place the cuff on the left arm, two fingers above the elbow, arm resting on the table at heart level.</translation>
    </message>
    <message>
        <source>Placez l'oxymètre au bout de l'index, main posée sur la table et immobile.</source>
        <translation>Place the oximeter on the tip of the index finger, hand resting still on the table.</translation>
    </message>
    <message>
        <source>Montez sur la balance pieds nus et restez immobile.</source>
        <translation>Step on the scale barefoot and stand still.</translation>
    </message>
    <message>
        <source>Attachez la ceinture sous la poitrine, capteur au centre, contre la peau.</source>
        <translation>Fasten the strap below the chest, sensor in the middle, against the skin.</translation>
    </message>
    <message>
        <source>Recherche de l'appareil…</source>
        <translation>Searching for the device…</translation>
    </message>
    <message>
        <source>Appareil connecté</source>
        <translation>Device connected</translation>
    </message>
    <message>
        <source>Mesure en cours…</source>
        <translation>Measuring…</translation>
    </message>
    <message>
        <source>Mesure terminée</source>
        <translation>Measurement done</translation>
    </message>
    <message>
        <source>La mesure a échoué</source>
        <translation>The measurement failed</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>Normal</translation>
    </message>
    <message>
        <source>Bas</source>
        <translation>Low</translation>
    </message>
    <message>
        <source>Élevé</source>
        <translation>High</translation>
    </message>
    <message>
        <source>À signaler au médecin</source>
        <translation>Tell the doctor</translation>
    </message>
    <message>
        <source>Batterie faible ({n} %) : rechargez l'appareil après la mesure.</source>
        <translation>Low battery ({n} %): recharge the device after the measurement.</translation>
    </message>
    <message>
        <source>Batterie {n} %</source>
        <translation>Battery {n} %</translation>
    </message>
    <message>
        <source>Mesures</source>
        <translation>Measurements</translation>
    </message>
    <message>
        <source>Lancer la mesure</source>
        <translation>Start the measurement</translation>
    </message>
    <message>
        <source>Réessayer</source>
        <translation>Try again</translation>
    </message>
    <message>
        <source>Saisie manuelle</source>
        <translation>Manual entry</translation>
    </message>
    <message>
        <source>Retour</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Changer d'appareil</source>
        <translation>Change device</translation>
    </message>
    <message>
        <source>Appareil : {name}</source>
        <translation>Device: {name}</translation>
    </message>
    <message>
        <source>Appareil : le premier trouvé sera retenu</source>
        <translation>Device: the first one found will be kept</translation>
    </message>
    <message>
        <source>Suivant</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>Terminer</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>État de la mesure</source>
        <translation>Measurement status</translation>
    </message>
    <message>
        <source>Valeur mesurée</source>
        <translation>Measured value</translation>
    </message>
    <message>
        <source>Erreur inattendue. Utilisez la saisie manuelle.</source>
        <translation>Unexpected error. Use manual entry.</translation>
    </message>
    <message>
        <source>Prêt</source>
        <translation>Ready</translation>
    </message>
    <message>
        <source>(saisie manuelle)</source>
        <translation>(manual entry)</translation>
    </message>
    <message>
        <source>Recherche…</source>
        <translation>Searching…</translation>
    </message>
    <message>
        <source>Aucun appareil trouvé. Allumez-le et rapprochez-le.</source>
        <translation>No device found. Switch it on and bring it closer.</translation>
    </message>
    <message>
        <source>Choisir l'appareil</source>
        <translation>Choose the device</translation>
    </message>
    <message>
        <source>Rechercher</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>Utiliser cet appareil</source>
        <translation>Use this device</translation>
    </message>
    <message>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Appareils à proximité</source>
        <translation>Nearby devices</translation>
    </message>
</context>
</TS>