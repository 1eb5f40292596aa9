<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>AboutPage</name>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>Identität</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>Dieser Computer</translation>
    </message>
    <message>
        <source>Profile folder</source>
        <translation>Profilordner</translation>
    </message>
    <message>
        <source>Keybound is free software. Your identity key never leaves your security key; no one, not even Keybound&apos;s developers, holds a key to your history.</source>
        <translation>Keybound ist freie Software. Dein Identitätsschlüssel verlässt deinen Sicherheitsschlüssel nie; niemand, nicht einmal die Entwickler von Keybound, hat einen Schlüssel zu deinem Verlauf.</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Dismiss</source>
        <translation>Ausblenden</translation>
    </message>
</context>
<context>
    <name>Bridge</name>
    <message>
        <source>Something went wrong inside Keybound (a bug). Details are in the log.</source>
        <translation>In Keybound ist etwas schiefgegangen (ein Fehler im Programm). Einzelheiten stehen im Protokoll.</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <source>Choose a conversation.</source>
        <translation>Wähle eine Unterhaltung.</translation>
    </message>
    <message>
        <source>Open link</source>
        <translation>Link öffnen</translation>
    </message>
    <message>
        <source>This link leads to:
%1

Open it?</source>
        <translation>Dieser Link führt zu:
%1

Öffnen?</translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 schreibt…</translation>
    </message>
    <message numerus="yes">
        <source>%n people are typing…</source>
        <translation>
            <numerusform>%n Person schreibt…</numerusform>
            <numerusform>%n Personen schreiben…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Cancel reply or edit</source>
        <translation>Antwort oder Bearbeitung abbrechen</translation>
    </message>
    <message>
        <source>Attach a file</source>
        <translation>Datei anhängen</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <source>yourself</source>
        <translation>dir selbst</translation>
    </message>
    <message>
        <source>Replying to %1: %2</source>
        <translation>Antwort an %1: %2</translation>
    </message>
    <message>
        <source>Editing your message</source>
        <translation>Du bearbeitest deine Nachricht</translation>
    </message>
    <message>
        <source>Send files</source>
        <translation>Dateien senden</translation>
    </message>
    <message>
        <source>%1 is not a file that can be sent.</source>
        <translation>%1 ist keine Datei, die gesendet werden kann.</translation>
    </message>
    <message>
        <source>The pasted image could not be read.</source>
        <translation>Das eingefügte Bild konnte nicht gelesen werden.</translation>
    </message>
</context>
<context>
    <name>ComposerEdit</name>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>Write a message</source>
        <translation>Nachricht schreiben</translation>
    </message>
</context>
<context>
    <name>ConfirmPage</name>
    <message>
        <source>Check your recovery code</source>
        <translation>Wiederherstellungscode prüfen</translation>
    </message>
    <message>
        <source>Type two groups of the code from what you wrote down.</source>
        <translation>Tippe zwei Gruppen des Codes aus deiner Notiz ab.</translation>
    </message>
    <message>
        <source>First group</source>
        <translation>Erste Gruppe</translation>
    </message>
    <message>
        <source>Second group</source>
        <translation>Zweite Gruppe</translation>
    </message>
    <message>
        <source>Show the code again</source>
        <translation>Code noch einmal zeigen</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>Fertigstellen</translation>
    </message>
    <message>
        <source>Finish setup</source>
        <translation>Einrichtung abschließen</translation>
    </message>
    <message>
        <source>Group {n}:</source>
        <translation>Gruppe {n}:</translation>
    </message>
    <message>
        <source>Group {n}</source>
        <translation>Gruppe {n}</translation>
    </message>
</context>
<context>
    <name>ConversationDelegate</name>
    <message>
        <source>Message deleted</source>
        <translation>Nachricht gelöscht</translation>
    </message>
    <message>
        <source>📎 File</source>
        <translation>📎 Datei</translation>
    </message>
    <message>
        <source>You: </source>
        <translation>Du: </translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>Filter conversations</source>
        <translation>Unterhaltungen filtern</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Unterhaltungen</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message>
        <source>security keys changed</source>
        <translation>Sicherheitsschlüssel geändert</translation>
    </message>
    <message numerus="yes">
        <source>%n unread</source>
        <translation>
            <numerusform>%n ungelesen</numerusform>
            <numerusform>%n ungelesen</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EmojiPicker</name>
    <message>
        <source>thumbs up</source>
        <translation>Daumen hoch</translation>
    </message>
    <message>
        <source>heart</source>
        <translation>Herz</translation>
    </message>
    <message>
        <source>laughing</source>
        <translation>Lachen</translation>
    </message>
    <message>
        <source>surprised</source>
        <translation>Überrascht</translation>
    </message>
    <message>
        <source>sad</source>
        <translation>Traurig</translation>
    </message>
    <message>
        <source>thank you</source>
        <translation>Danke</translation>
    </message>
    <message>
        <source>party</source>
        <translation>Feiern</translation>
    </message>
    <message>
        <source>thumbs down</source>
        <translation>Daumen runter</translation>
    </message>
    <message>
        <source>fire</source>
        <translation>Feuer</translation>
    </message>
    <message>
        <source>eyes</source>
        <translation>Augen</translation>
    </message>
    <message>
        <source>done</source>
        <translation>Erledigt</translation>
    </message>
    <message>
        <source>thinking</source>
        <translation>Nachdenklich</translation>
    </message>
    <message>
        <source>Choose a reaction</source>
        <translation>Reaktion wählen</translation>
    </message>
</context>
<context>
    <name>ExistingPinPage</name>
    <message>
        <source>Your key&apos;s PIN</source>
        <translation>Die PIN deines Sicherheitsschlüssels</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>PIN:</source>
        <translation>PIN:</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>Weiter</translation>
    </message>
    <message>
        <source>Type the PIN of {key} to add this computer.</source>
        <translation>Gib die PIN von {key} ein, um diesen Computer hinzuzufügen.</translation>
    </message>
    <message>
        <source>{key} already has keys. Type its PIN to create your account on it.</source>
        <translation>{key} hat schon Schlüssel. Gib seine PIN ein, um dein Konto darauf anzulegen.</translation>
    </message>
    <message>
        <source>{n} tries left before the PIN is blocked.</source>
        <translation>Noch {n} Versuche, bevor die PIN gesperrt wird.</translation>
    </message>
</context>
<context>
    <name>FirstRunWizard</name>
    <message>
        <source>First-run setup</source>
        <translation>Ersteinrichtung</translation>
    </message>
    <message>
        <source>Type the relay&apos;s address, for example wss://relay.example:8443.</source>
        <translation>Gib die Adresse des Relays ein, zum Beispiel wss://relay.example:8443.</translation>
    </message>
    <message>
        <source>Looking for this key&apos;s account on the relay…</source>
        <translation>Das Konto dieses Sicherheitsschlüssels wird auf dem Relay gesucht…</translation>
    </message>
    <message>
        <source>Type the name your contacts will see.</source>
        <translation>Gib den Namen ein, den deine Kontakte sehen.</translation>
    </message>
    <message>
        <source>The name can have at most 64 characters.</source>
        <translation>Der Name darf höchstens 64 Zeichen haben.</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>admin PIN</source>
        <translation>Admin-PIN</translation>
    </message>
    <message>
        <source>Type the key&apos;s PIN.</source>
        <translation>Gib die PIN des Sicherheitsschlüssels ein.</translation>
    </message>
    <message>
        <source>Adding this computer</source>
        <translation>Dieser Computer wird hinzugefügt</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Wird gestartet…</translation>
    </message>
    <message>
        <source>Creating your account</source>
        <translation>Dein Konto wird angelegt</translation>
    </message>
    <message>
        <source>Checking the relay…</source>
        <translation>Das Relay wird geprüft…</translation>
    </message>
    <message>
        <source>Preparing your key (new keys take a moment)…</source>
        <translation>Dein Sicherheitsschlüssel wird vorbereitet (neue Schlüssel brauchen einen Moment)…</translation>
    </message>
    <message>
        <source>Fetching your account from the relay…</source>
        <translation>Dein Konto wird vom Relay geholt…</translation>
    </message>
    <message>
        <source>Creating this computer&apos;s encrypted history…</source>
        <translation>Der verschlüsselte Verlauf dieses Computers wird angelegt…</translation>
    </message>
    <message>
        <source>Your key signs your identity…</source>
        <translation>Dein Sicherheitsschlüssel signiert deine Identität…</translation>
    </message>
    <message>
        <source>Finishing…</source>
        <translation>Wird abgeschlossen…</translation>
    </message>
    <message>
        <source>Setup was cancelled; nothing was created.</source>
        <translation>Die Einrichtung wurde abgebrochen; es wurde nichts angelegt.</translation>
    </message>
    <message>
        <source>Save the recovery code</source>
        <translation>Wiederherstellungscode speichern</translation>
    </message>
    <message>
        <source>Text files (*.txt)</source>
        <translation>Textdateien (*.txt)</translation>
    </message>
    <message>
        <source>Saved to {path}.</source>
        <translation>Gespeichert unter {path}.</translation>
    </message>
    <message>
        <source>Keybound recovery code</source>
        <translation>Keybound-Wiederherstellungscode</translation>
    </message>
    <message>
        <source>It opens this computer&apos;s Keybound history if the security key is lost.</source>
        <translation>Er öffnet den Keybound-Verlauf dieses Computers, wenn der Sicherheitsschlüssel verloren ist.</translation>
    </message>
    <message>
        <source> and </source>
        <translation> und </translation>
    </message>
    <message>
        <source>Group {n} does not match the code. Look at what you wrote down, or show the code again.</source>
        <translation>Gruppe {n} passt nicht zum Code. Sieh in deiner Notiz nach oder lass dir den Code noch einmal zeigen.</translation>
    </message>
</context>
<context>
    <name>GeneralPage</name>
    <message>
        <source>Appearance</source>
        <translation>Darstellung</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>Wie das System</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Hell</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Dunkel</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Farbschema</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Systemvorgabe</translation>
    </message>
    <message>
        <source>%1 pt</source>
        <translation>%1 pt</translation>
    </message>
    <message>
        <source>Font size</source>
        <translation>Schriftgröße</translation>
    </message>
    <message>
        <source>Zoom</source>
        <translation>Vergrößerung</translation>
    </message>
    <message>
        <source>Ctrl+= and Ctrl+- zoom in and out anywhere.</source>
        <translation>Strg+= und Strg+- vergrößern und verkleinern überall.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>A new language takes effect the next time Keybound starts.</source>
        <translation>Eine neue Sprache gilt ab dem nächsten Start von Keybound.</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>Downloads</translation>
    </message>
    <message>
        <source>Download folder</source>
        <translation>Download-Ordner</translation>
    </message>
    <message>
        <source>Save files in</source>
        <translation>Dateien speichern in</translation>
    </message>
    <message>
        <source>Choose folder…</source>
        <translation>Ordner wählen…</translation>
    </message>
    <message>
        <source>Choose the download folder</source>
        <translation>Den Download-Ordner wählen</translation>
    </message>
    <message>
        <source>Use the system&apos;s folder</source>
        <translation>Den Ordner des Systems nehmen</translation>
    </message>
    <message>
        <source>Use the system&apos;s download folder</source>
        <translation>Den Download-Ordner des Systems nehmen</translation>
    </message>
    <message>
        <source>%1 (the system&apos;s)</source>
        <translation>%1 (der des Systems)</translation>
    </message>
    <message>
        <source>Save downloads in</source>
        <translation>Downloads speichern in</translation>
    </message>
</context>
<context>
    <name>GeneralSettings</name>
    <message>
        <source>1 week</source>
        <translation>1 Woche</translation>
    </message>
    <message>
        <source>%n weeks</source>
        <translation>%n Wochen</translation>
    </message>
    <message>
        <source>1 day</source>
        <translation>1 Tag</translation>
    </message>
    <message>
        <source>%n days</source>
        <translation>%n Tage</translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation>1 Stunde</translation>
    </message>
    <message>
        <source>%n hours</source>
        <translation>%n Stunden</translation>
    </message>
    <message>
        <source>1 minute</source>
        <translation>1 Minute</translation>
    </message>
    <message>
        <source>%n minutes</source>
        <translation>%n Minuten</translation>
    </message>
    <message>
        <source>1 second</source>
        <translation>1 Sekunde</translation>
    </message>
    <message>
        <source>%n seconds</source>
        <translation>%n Sekunden</translation>
    </message>
</context>
<context>
    <name>JoinPage</name>
    <message>
        <source>This key already has an account</source>
        <translation>Dieser Sicherheitsschlüssel hat schon ein Konto</translation>
    </message>
    <message>
        <source>You can add this computer as a new device of that account. Your other devices and your contacts learn of it; this computer starts with an empty history.</source>
        <translation>Du kannst diesen Computer als neues Gerät zu diesem Konto hinzufügen. Deine anderen Geräte und deine Kontakte erfahren davon; dieser Computer beginnt mit einem leeren Verlauf.</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Add this computer</source>
        <translation>Diesen Computer hinzufügen</translation>
    </message>
    <message>
        <source>Add this computer as a new device</source>
        <translation>Diesen Computer als neues Gerät hinzufügen</translation>
    </message>
    <message>
        <source>The key belongs to the identity {id}…</source>
        <translation>Der Sicherheitsschlüssel gehört zur Identität {id}…</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <source>Unblock the PIN with the admin PIN (keybound token change-pin --admin), or unlock with your recovery code below.</source>
        <translation>Entsperre die PIN mit der Admin-PIN (keybound token change-pin --admin) oder entsperre Keybound unten mit deinem Wiederherstellungscode.</translation>
    </message>
    <message>
        <source>Keybound is locked</source>
        <translation>Keybound ist gesperrt</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>Entsperren</translation>
    </message>
    <message>
        <source>Unlock with your security key</source>
        <translation>Mit deinem Sicherheitsschlüssel entsperren</translation>
    </message>
    <message>
        <source>Lost your key?</source>
        <translation>Sicherheitsschlüssel verloren?</translation>
    </message>
    <message>
        <source>Lost your key? Unlock with the recovery code</source>
        <translation>Sicherheitsschlüssel verloren? Mit dem Wiederherstellungscode entsperren</translation>
    </message>
    <message>
        <source>Type the recovery code you saved when you set up Keybound.</source>
        <translation>Gib den Wiederherstellungscode ein, den du beim Einrichten von Keybound gesichert hast.</translation>
    </message>
    <message>
        <source>Recovery code</source>
        <translation>Wiederherstellungscode</translation>
    </message>
    <message>
        <source>Unlock with recovery code</source>
        <translation>Mit Wiederherstellungscode entsperren</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Back to unlocking with the key</source>
        <translation>Zurück zum Entsperren mit dem Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Your security key is plugged in.</source>
        <translation>Dein Sicherheitsschlüssel ist eingesteckt.</translation>
    </message>
    <message>
        <source>Plug in your security key to unlock.</source>
        <translation>Steck deinen Sicherheitsschlüssel ein, um zu entsperren.</translation>
    </message>
    <message>
        <source>Cancelled. Press Unlock to try again.</source>
        <translation>Abgebrochen. Drück auf „Entsperren“, um es noch einmal zu versuchen.</translation>
    </message>
    <message>
        <source>Checking the recovery code…</source>
        <translation>Der Wiederherstellungscode wird geprüft…</translation>
    </message>
</context>
<context>
    <name>MainMenu</name>
    <message>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <source>Menu</source>
        <translation>Menü</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Offline: messages will be sent when the relay is back.</source>
        <translation>Offline: Nachrichten werden gesendet, sobald das Relay wieder erreichbar ist.</translation>
    </message>
    <message>
        <source>Keybound</source>
        <translation>Keybound</translation>
    </message>
    <message>
        <source>Connection status</source>
        <translation>Verbindungsstatus</translation>
    </message>
    <message>
        <source>Error message</source>
        <translation>Fehlermeldung</translation>
    </message>
    <message>
        <source>Keybound (%d)</source>
        <translation>Keybound (%d)</translation>
    </message>
</context>
<context>
    <name>MessageActions</name>
    <message>
        <source>Reply</source>
        <translation>Antworten</translation>
    </message>
    <message>
        <source>React…</source>
        <translation>Reagieren…</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <source>Delete for everyone</source>
        <translation>Für alle löschen</translation>
    </message>
    <message>
        <source>Copy text</source>
        <translation>Text kopieren</translation>
    </message>
    <message>
        <source>Message info</source>
        <translation>Nachrichtendetails</translation>
    </message>
    <message>
        <source>Retry sending</source>
        <translation>Erneut senden</translation>
    </message>
    <message>
        <source>Open file</source>
        <translation>Datei öffnen</translation>
    </message>
    <message>
        <source>Save file as…</source>
        <translation>Datei speichern unter…</translation>
    </message>
    <message>
        <source>Message actions</source>
        <translation>Aktionen für die Nachricht</translation>
    </message>
    <message>
        <source>Delete this message for everyone in the conversation?</source>
        <translation>Diese Nachricht für alle in der Unterhaltung löschen?</translation>
    </message>
    <message>
        <source>your other device</source>
        <translation>dein anderes Gerät</translation>
    </message>
    <message>
        <source>Save file as</source>
        <translation>Datei speichern unter</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>New messages</source>
        <translation>Neue Nachrichten</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Erneut versuchen</translation>
    </message>
</context>
<context>
    <name>MessageInfo</name>
    <message>
        <source>Message info</source>
        <translation>Nachrichtendetails</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>Empfangen</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>Edited</source>
        <translation>Bearbeitet</translation>
    </message>
    <message>
        <source>Disappears</source>
        <translation>Verschwindet</translation>
    </message>
    <message>
        <source>Receipts per recipient</source>
        <translation>Bestätigungen je Empfänger</translation>
    </message>
    <message>
        <source>Recipient</source>
        <translation>Empfänger</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>Zugestellt</translation>
    </message>
    <message>
        <source>Read</source>
        <translation>Gelesen</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Receipts</source>
        <translation>Bestätigungen</translation>
    </message>
</context>
<context>
    <name>NamePage</name>
    <message>
        <source>Your name</source>
        <translation>Dein Name</translation>
    </message>
    <message>
        <source>Contacts see this name when you first write to them. It is not published on the relay; you can change it later.</source>
        <translation>Kontakte sehen diesen Namen, wenn du ihnen zum ersten Mal schreibst. Er wird nicht auf dem Relay veröffentlicht; du kannst ihn später ändern.</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Weiter</translation>
    </message>
</context>
<context>
    <name>NewPinPage</name>
    <message>
        <source>Choose a PIN</source>
        <translation>PIN wählen</translation>
    </message>
    <message>
        <source>New PIN</source>
        <translation>Neue PIN</translation>
    </message>
    <message>
        <source>New PIN again</source>
        <translation>Neue PIN wiederholen</translation>
    </message>
    <message>
        <source>New PIN:</source>
        <translation>Neue PIN:</translation>
    </message>
    <message>
        <source>Again:</source>
        <translation>Wiederholen:</translation>
    </message>
    <message>
        <source>Current admin PIN</source>
        <translation>Aktuelle Admin-PIN</translation>
    </message>
    <message>
        <source>empty: the factory default</source>
        <translation>leer: die Werkseinstellung</translation>
    </message>
    <message>
        <source>New admin PIN</source>
        <translation>Neue Admin-PIN</translation>
    </message>
    <message>
        <source>New admin PIN again</source>
        <translation>Neue Admin-PIN wiederholen</translation>
    </message>
    <message>
        <source>Current admin PIN:</source>
        <translation>Aktuelle Admin-PIN:</translation>
    </message>
    <message>
        <source>New admin PIN:</source>
        <translation>Neue Admin-PIN:</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Set up the key</source>
        <translation>Sicherheitsschlüssel einrichten</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>someone new</source>
        <translation>jemand Neues</translation>
    </message>
    <message>
        <source>Keybound</source>
        <translation>Keybound</translation>
    </message>
    <message>
        <source>New message from %s</source>
        <translation>Neue Nachricht von %s</translation>
    </message>
</context>
<context>
    <name>Page</name>
    <message>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>to unlock Keybound</source>
        <translation>Zum Entsperren von Keybound</translation>
    </message>
    <message>
        <source>to sign with your security key</source>
        <translation>Zum Signieren mit deinem Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>to set up your security key</source>
        <translation>Zum Einrichten deines Sicherheitsschlüssels</translation>
    </message>
    <message>
        <source>for your security key</source>
        <translation>Für deinen Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>admin PIN</source>
        <translation>Admin-PIN</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>Enter your %s</source>
        <translation>%s eingeben</translation>
    </message>
    <message>
        <source>Enter the %(what)s of %(key)s %(purpose)s.</source>
        <translation>%(purpose)s: Gib die %(what)s von %(key)s ein.</translation>
    </message>
    <message>
        <source>your security key</source>
        <translation>deinem Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Tries left</source>
        <translation>Verbleibende Versuche</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>Entsperren</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>This %s is blocked after too many wrong tries. Unblock it with the admin PIN (keybound token change-pin --admin), or unlock with your recovery code.</source>
        <translation>Diese %s ist nach zu vielen falschen Versuchen gesperrt. Entsperre sie mit der Admin-PIN (keybound token change-pin --admin) oder entsperre Keybound mit deinem Wiederherstellungscode.</translation>
    </message>
    <message>
        <source>Last try: one more wrong PIN blocks it.</source>
        <translation>Letzter Versuch: Eine weitere falsche PIN sperrt sie.</translation>
    </message>
    <message>
        <source>%d tries left.</source>
        <translation>Noch %d Versuche.</translation>
    </message>
</context>
<context>
    <name>PinRules</name>
    <message>
        <source>The PIN needs at least 6 characters and the admin PIN at least 8. You type the PIN to unlock Keybound; the admin PIN is only for managing the card. After 3 wrong tries a PIN is blocked.</source>
        <translation>Die PIN braucht mindestens 6 Zeichen, die Admin-PIN mindestens 8. Mit der PIN entsperrst du Keybound; die Admin-PIN dient nur der Verwaltung der Karte. Nach 3 falschen Versuchen wird eine PIN gesperrt.</translation>
    </message>
    <message>
        <source>The PIN needs at least 4 characters. After 8 wrong tries the key is blocked.</source>
        <translation>Die PIN braucht mindestens 4 Zeichen. Nach 8 falschen Versuchen wird der Sicherheitsschlüssel gesperrt.</translation>
    </message>
    <message>
        <source>The {what} needs at least {n} characters.</source>
        <translation>Die {what} braucht mindestens {n} Zeichen.</translation>
    </message>
    <message>
        <source>The {what} is too long.</source>
        <translation>Die {what} ist zu lang.</translation>
    </message>
    <message>
        <source>The two entries of the {what} differ. Type it again.</source>
        <translation>Die beiden Eingaben der {what} unterscheiden sich. Gib sie noch einmal ein.</translation>
    </message>
</context>
<context>
    <name>PrivacyPage</name>
    <message>
        <source>Notifications</source>
        <translation>Benachrichtigungen</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Aus</translation>
    </message>
    <message>
        <source>Sender only</source>
        <translation>Nur der Absender</translation>
    </message>
    <message>
        <source>Sender and text</source>
        <translation>Absender und Text</translation>
    </message>
    <message>
        <source>New message notifications show</source>
        <translation>Benachrichtigungen über neue Nachrichten zeigen</translation>
    </message>
    <message>
        <source>Notifications show</source>
        <translation>Benachrichtigungen zeigen</translation>
    </message>
    <message>
        <source>A notification is on screen for anyone nearby to read.</source>
        <translation>Eine Benachrichtigung kann jeder in der Nähe auf dem Bildschirm lesen.</translation>
    </message>
    <message>
        <source>Locking</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>Nie</translation>
    </message>
    <message>
        <source>After %1</source>
        <translation>Nach %1</translation>
    </message>
    <message>
        <source>Lock when idle</source>
        <translation>Sperren ohne Benutzung</translation>
    </message>
    <message>
        <source>Lock when the security key is removed</source>
        <translation>Sperren, wenn der Sicherheitsschlüssel abgezogen wird</translation>
    </message>
    <message>
        <source>What others see</source>
        <translation>Was andere sehen</translation>
    </message>
    <message>
        <source>Send read receipts</source>
        <translation>Lesebestätigungen senden</translation>
    </message>
    <message>
        <source>Show others when you are typing</source>
        <translation>Anderen zeigen, wenn du schreibst</translation>
    </message>
    <message>
        <source>Disappearing messages</source>
        <translation>Verschwindende Nachrichten</translation>
    </message>
    <message>
        <source>Default timer for new conversations</source>
        <translation>Standard-Timer für neue Unterhaltungen</translation>
    </message>
    <message>
        <source>Default timer</source>
        <translation>Standard-Timer</translation>
    </message>
    <message>
        <source>Conversations you start from now on get this timer (the others in them are told); conversations that exist already keep theirs.</source>
        <translation>Unterhaltungen, die du ab jetzt beginnst, bekommen diesen Timer (die anderen darin erfahren es); bestehende Unterhaltungen behalten ihren.</translation>
    </message>
</context>
<context>
    <name>ProblemScreen</name>
    <message>
        <source>Keybound cannot open your history</source>
        <translation>Keybound kann deinen Verlauf nicht öffnen</translation>
    </message>
    <message>
        <source>Nothing was changed. Free some disk space or restore the files, then try again.</source>
        <translation>Es wurde nichts verändert. Schaffe Platz auf dem Datenträger oder stelle die Dateien wieder her und versuche es dann noch einmal.</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Noch einmal versuchen</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <source>Quit Keybound</source>
        <translation>Keybound beenden</translation>
    </message>
</context>
<context>
    <name>QuickSwitcher</name>
    <message>
        <source>Go to conversation</source>
        <translation>Zur Unterhaltung wechseln</translation>
    </message>
    <message>
        <source>Conversation name</source>
        <translation>Name der Unterhaltung</translation>
    </message>
    <message>
        <source>Type a name</source>
        <translation>Gib einen Namen ein</translation>
    </message>
    <message>
        <source>Matching conversations</source>
        <translation>Passende Unterhaltungen</translation>
    </message>
</context>
<context>
    <name>RecoveryPage</name>
    <message>
        <source>Your recovery code</source>
        <translation>Dein Wiederherstellungscode</translation>
    </message>
    <message>
        <source>This code opens this computer&apos;s history if your key is lost. It is shown only now and stored nowhere. Write it down, print it or save it somewhere safe.</source>
        <translation>Dieser Code öffnet den Verlauf dieses Computers, wenn dein Sicherheitsschlüssel verloren ist. Er wird nur jetzt angezeigt und nirgends gespeichert. Schreib ihn auf, drucke ihn aus oder speichere ihn an einem sicheren Ort.</translation>
    </message>
    <message>
        <source>Save as file…</source>
        <translation>Als Datei speichern…</translation>
    </message>
    <message>
        <source>Save the code as a file</source>
        <translation>Den Code als Datei speichern</translation>
    </message>
    <message>
        <source>Print…</source>
        <translation>Drucken…</translation>
    </message>
    <message>
        <source>Print the code</source>
        <translation>Den Code drucken</translation>
    </message>
    <message>
        <source>I have written it down</source>
        <translation>Ich habe ihn aufgeschrieben</translation>
    </message>
    <message>
        <source>I have written the code down</source>
        <translation>Ich habe den Code aufgeschrieben</translation>
    </message>
</context>
<context>
    <name>RelayPage</name>
    <message>
        <source>Choose your relay</source>
        <translation>Relay wählen</translation>
    </message>
    <message>
        <source>The relay stores your encrypted messages until your contacts&apos; devices fetch them. It sees no message text. Type the address your relay&apos;s operator gave you.</source>
        <translation>Das Relay speichert deine verschlüsselten Nachrichten, bis die Geräte deiner Kontakte sie abholen. Es sieht keinen Nachrichtentext. Gib die Adresse ein, die du vom Betreiber deines Relays bekommen hast.</translation>
    </message>
    <message>
        <source>Relay address</source>
        <translation>Relay-Adresse</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Certificate fingerprint</source>
        <translation>Fingerabdruck des Zertifikats</translation>
    </message>
    <message>
        <source>Certificate (SHA-256)</source>
        <translation>Zertifikat (SHA-256)</translation>
    </message>
    <message>
        <source>Why the certificate is trusted</source>
        <translation>Warum dem Zertifikat vertraut wird</translation>
    </message>
    <message>
        <source>Trusted because</source>
        <translation>Vertraut, weil</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>The relay stores and forwards encrypted messages; it cannot read them. Compare the fingerprint with the one your relay&apos;s operator published. To move to another relay, run: keybound relay set ADDRESS</source>
        <translation>Das Relay speichert verschlüsselte Nachrichten und leitet sie weiter; lesen kann es sie nicht. Vergleiche den Fingerabdruck mit dem, den der Betreiber deines Relays veröffentlicht hat. Zum Wechsel auf ein anderes Relay: keybound relay set ADRESSE</translation>
    </message>
    <message>
        <source>Not seen yet: shown once connected</source>
        <translation>Noch nicht gesehen: erscheint nach dem Verbinden</translation>
    </message>
    <message>
        <source>None: this connection is not encrypted</source>
        <translation>Keins: diese Verbindung ist nicht verschlüsselt</translation>
    </message>
    <message>
        <source>It is the certificate pinned for this relay; a different one is refused.</source>
        <translation>Es ist das für dieses Relay festgelegte Zertifikat; ein anderes wird abgelehnt.</translation>
    </message>
    <message>
        <source>Your system&apos;s certificate authorities vouch for it.</source>
        <translation>Die Zertifizierungsstellen deines Systems bürgen dafür.</translation>
    </message>
    <message>
        <source>No certificate (allowed only for a relay on this computer).</source>
        <translation>Kein Zertifikat (nur für ein Relay auf diesem Computer erlaubt).</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Verbunden</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbinde…</translation>
    </message>
    <message>
        <source>Not connected: %1. Trying again…</source>
        <translation>Nicht verbunden: %1. Neuer Versuch…</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <source>Relay address:</source>
        <translation>Relay-Adresse:</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Check relay</source>
        <translation>Relay prüfen</translation>
    </message>
    <message>
        <source>Check the relay</source>
        <translation>Das Relay prüfen</translation>
    </message>
    <message>
        <source>Checking the relay…</source>
        <translation>Das Relay wird geprüft…</translation>
    </message>
</context>
<context>
    <name>SearchPanel</name>
    <message>
        <source>Search messages</source>
        <translation>Nachrichten durchsuchen</translation>
    </message>
    <message>
        <source>Search results</source>
        <translation>Suchergebnisse</translation>
    </message>
    <message>
        <source>No messages found.</source>
        <translation>Keine Nachrichten gefunden.</translation>
    </message>
    <message numerus="yes">
        <source>%n found</source>
        <translation>
            <numerusform>%n Treffer</numerusform>
            <numerusform>%n Treffer</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Settings pages</source>
        <translation>Seiten der Einstellungen</translation>
    </message>
    <message>
        <source>General</source>
        <translation>Allgemein</translation>
    </message>
    <message>
        <source>Privacy &amp; notifications</source>
        <translation>Privatsphäre und Benachrichtigungen</translation>
    </message>
    <message>
        <source>Relay</source>
        <translation>Relay</translation>
    </message>
    <message>
        <source>About</source>
        <translation>Über Keybound</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <source>Today</source>
        <translation>Heute</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Gestern</translation>
    </message>
    <message>
        <source>sending</source>
        <translation>wird gesendet</translation>
    </message>
    <message>
        <source>sent</source>
        <translation>gesendet</translation>
    </message>
    <message>
        <source>delivered</source>
        <translation>zugestellt</translation>
    </message>
    <message>
        <source>read</source>
        <translation>gelesen</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>The original message is not available.</source>
        <translation>Die ursprüngliche Nachricht ist nicht verfügbar.</translation>
    </message>
    <message>
        <source>This message was deleted.</source>
        <translation>Diese Nachricht wurde gelöscht.</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <source>edited</source>
        <translation>bearbeitet</translation>
    </message>
    <message>
        <source>unknown reason</source>
        <translation>unbekannter Grund</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Nicht gesendet: %1</translation>
    </message>
</context>
<context>
    <name>TimelineModel</name>
    <message>
        <source>You</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>This message was deleted.</source>
        <translation>Diese Nachricht wurde gelöscht.</translation>
    </message>
    <message>
        <source>File %1, %2</source>
        <translation>Datei %1, %2</translation>
    </message>
</context>
<context>
    <name>TimelineView</name>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
</context>
<context>
    <name>TokenListModel</name>
    <message>
        <source>has keys: use it as it is</source>
        <translation>hat Schlüssel: wird so verwendet, wie er ist</translation>
    </message>
    <message>
        <source>blank: will be set up</source>
        <translation>leer: wird eingerichtet</translation>
    </message>
</context>
<context>
    <name>TokenPage</name>
    <message>
        <source>Choose your security key</source>
        <translation>Sicherheitsschlüssel wählen</translation>
    </message>
    <message>
        <source>Plug in your security key or smartcard; it appears here by itself.</source>
        <translation>Steck deinen Sicherheitsschlüssel oder deine Smartcard ein; er erscheint hier von selbst.</translation>
    </message>
    <message>
        <source>Security keys and smartcards</source>
        <translation>Sicherheitsschlüssel und Smartcards</translation>
    </message>
    <message>
        <source>No security key or smartcard is plugged in yet.</source>
        <translation>Noch ist kein Sicherheitsschlüssel und keine Smartcard eingesteckt.</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Weiter</translation>
    </message>
    <message>
        <source>Use this key</source>
        <translation>Diesen Sicherheitsschlüssel verwenden</translation>
    </message>
</context>
<context>
    <name>TouchOverlay</name>
    <message>
        <source>Touch your security key</source>
        <translation>Berühre deinen Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>It blinks or lights up while it waits for you.</source>
        <translation>Er blinkt oder leuchtet, solange er auf dich wartet.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel waiting for the touch</source>
        <translation>Warten auf die Berührung abbrechen</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Show Keybound</source>
        <translation>Keybound anzeigen</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <source>Keybound (locked)</source>
        <translation>Keybound (gesperrt)</translation>
    </message>
    <message>
        <source>Keybound: %s unread</source>
        <translation>Keybound: %s ungelesen</translation>
    </message>
    <message>
        <source>Keybound</source>
        <translation>Keybound</translation>
    </message>
</context>
<context>
    <name>TrustPage</name>
    <message>
        <source>Trust this relay?</source>
        <translation>Diesem Relay vertrauen?</translation>
    </message>
    <message>
        <source>This relay&apos;s certificate is not vouched for by this computer (a self-signed development relay, for example). Compare its fingerprint with the one the relay printed when it started. Trust it only if they are the same: Keybound then remembers this certificate and refuses any other.</source>
        <translation>Für das Zertifikat dieses Relays bürgt dieser Computer nicht (zum Beispiel bei einem selbst signierten Entwicklungs-Relay). Vergleiche seinen Fingerabdruck mit dem, den das Relay beim Start ausgegeben hat. Vertraue ihm nur, wenn beide gleich sind: Keybound merkt sich dann dieses Zertifikat und lehnt jedes andere ab.</translation>
    </message>
    <message>
        <source>Certificate fingerprint</source>
        <translation>Fingerabdruck des Zertifikats</translation>
    </message>
    <message>
        <source>Don&apos;t trust</source>
        <translation>Nicht vertrauen</translation>
    </message>
    <message>
        <source>Do not trust this relay</source>
        <translation>Diesem Relay nicht vertrauen</translation>
    </message>
    <message>
        <source>Trust</source>
        <translation>Vertrauen</translation>
    </message>
    <message>
        <source>Trust this relay</source>
        <translation>Diesem Relay vertrauen</translation>
    </message>
</context>
<context>
    <name>Upload</name>
    <message>
        <source>Upload progress of %1</source>
        <translation>Fortschritt beim Hochladen von %1</translation>
    </message>
    <message>
        <source>Cancel upload of %1</source>
        <translation>Hochladen von %1 abbrechen</translation>
    </message>
    <message>
        <source>Cancel the upload</source>
        <translation>Hochladen abbrechen</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to Keybound</source>
        <translation>Willkommen bei Keybound</translation>
    </message>
    <message>
        <source>Your Keybound account lives on a security key or smartcard that you hold. There is no password and no master key anywhere else.</source>
        <translation>Dein Keybound-Konto liegt auf einem Sicherheitsschlüssel oder einer Smartcard in deiner Hand. Es gibt kein Passwort und nirgendwo sonst einen Generalschlüssel.</translation>
    </message>
    <message>
        <source>Next you choose the key, the relay that carries your messages, and a PIN. A blank key gets its keys and PINs now; a key that already has an account can add this computer to it. At the end you get a recovery code for this computer&apos;s history: keep it safe.</source>
        <translation>Als Nächstes wählst du den Sicherheitsschlüssel, das Relay, das deine Nachrichten überbringt, und eine PIN. Ein leerer Sicherheitsschlüssel bekommt jetzt seine Schlüssel und PINs; mit einem Sicherheitsschlüssel, der schon ein Konto hat, kannst du diesen Computer hinzufügen. Am Ende bekommst du einen Wiederherstellungscode für den Verlauf dieses Computers: Bewahre ihn sicher auf.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel setup</source>
        <translation>Einrichtung abbrechen</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Los geht’s</translation>
    </message>
    <message>
        <source>Start setup</source>
        <translation>Einrichtung starten</translation>
    </message>
</context>
<context>
    <name>WorkingPage</name>
    <message>
        <source>Setting up</source>
        <translation>Einrichtung läuft</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <source>Touch your key now.</source>
        <translation>Berühre jetzt deinen Sicherheitsschlüssel.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel setup</source>
        <translation>Einrichtung abbrechen</translation>
    </message>
</context>
</TS>
