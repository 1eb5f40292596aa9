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
        <translation>Keybound ist freie Software. Dein Identitätsschlüssel verlässt nie deinen Sicherheitsschlüssel; niemand, nicht einmal die Entwickler von Keybound, hat einen Schlüssel zu deinem Verlauf.</translation>
    </message>
</context>
<context>
    <name>AddContactDialog</name>
    <message>
        <source>Add contact</source>
        <translation>Kontakt hinzufügen</translation>
    </message>
    <message>
        <source>Paste the keybound:// link they sent you, or read their QR code.</source>
        <translation>Füge den keybound://-Link ein, den man dir geschickt hat, oder lies den QR-Code.</translation>
    </message>
    <message>
        <source>Invite link</source>
        <translation>Einladungslink</translation>
    </message>
    <message>
        <source>From image…</source>
        <translation>Aus Bild…</translation>
    </message>
    <message>
        <source>Read the QR code from an image file</source>
        <translation>Den QR-Code aus einer Bilddatei lesen</translation>
    </message>
    <message>
        <source>From clipboard</source>
        <translation>Aus Zwischenablage</translation>
    </message>
    <message>
        <source>Read the QR code or link on the clipboard</source>
        <translation>Den QR-Code oder Link in der Zwischenablage lesen</translation>
    </message>
    <message>
        <source>Whose invite this is</source>
        <translation>Wessen Einladung das ist</translation>
    </message>
    <message>
        <source>Name in the link</source>
        <translation>Name im Link</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>Identität</translation>
    </message>
    <message>
        <source>Fingerprint</source>
        <translation>Fingerabdruck</translation>
    </message>
    <message>
        <source>Relay</source>
        <translation>Relay</translation>
    </message>
    <message>
        <source>Security keys</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Name for this contact</source>
        <translation>Name für diesen Kontakt</translation>
    </message>
    <message>
        <source>Their name, as you want to see it</source>
        <translation>Der Name, unter dem du die Person sehen willst</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <source>Add this contact</source>
        <translation>Diesen Kontakt hinzufügen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Their QR code</source>
        <translation>Der QR-Code der Person</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp)</source>
        <translation>Bilder (*.png *.jpg *.jpeg *.gif *.bmp *.webp)</translation>
    </message>
    <message>
        <source>The clipboard holds neither a link nor a picture.</source>
        <translation>Die Zwischenablage enthält weder einen Link noch ein Bild.</translation>
    </message>
    <message>
        <source>Reading the QR code…</source>
        <translation>QR-Code wird gelesen…</translation>
    </message>
    <message>
        <source>Checking the invite…</source>
        <translation>Einladung wird geprüft…</translation>
    </message>
    <message>
        <source>Checking the invite with the relay…</source>
        <translation>Einladung wird beim Relay geprüft…</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(keiner)</translation>
    </message>
    <message>
        <source>FIDO2 security key</source>
        <translation>FIDO2-Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>OpenPGP card</source>
        <translation>OpenPGP-Karte</translation>
    </message>
    <message>
        <source>This is %1, already one of your contacts.</source>
        <translation>Das ist %1, schon einer deiner Kontakte.</translation>
    </message>
    <message>
        <source>The relay holds this identity and its keys match the link. The name in the link is what they call themselves: anyone passing the link on can change it, so compare safety numbers once you are added.</source>
        <translation>Das Relay kennt diese Identität, und ihre Schlüssel passen zum Link. Der Name im Link ist der, den sich die Person selbst gibt: Jeder, der den Link weitergibt, kann ihn ändern. Vergleiche daher nach dem Hinzufügen die Sicherheitsnummern.</translation>
    </message>
    <message>
        <source>Adding…</source>
        <translation>Wird hinzugefügt…</translation>
    </message>
</context>
<context>
    <name>AddMembersDialog</name>
    <message>
        <source>Add members</source>
        <translation>Mitglieder hinzufügen</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
</context>
<context>
    <name>BackupsPage</name>
    <message>
        <source>Choose…</source>
        <translation>Auswählen…</translation>
    </message>
    <message>
        <source>Choose: {what}</source>
        <translation>Auswählen: {what}</translation>
    </message>
    <message>
        <source>A backup is one encrypted file of your history (contacts, conversations, messages and, if you like, downloaded attachments). It opens with the standard age tool, and it restores onto a new computer joined with your security key.</source>
        <translation>Ein Backup ist eine verschlüsselte Datei deines Verlaufs (Kontakte, Unterhaltungen, Nachrichten und, wenn du willst, heruntergeladene Anhänge). Sie lässt sich mit dem Standardwerkzeug age öffnen und auf einem neuen Computer wiederherstellen, den du mit deinem Sicherheitsschlüssel hinzugefügt hast.</translation>
    </message>
    <message>
        <source>Your recovery code is not a backup key: it unlocks this computer&apos;s vault, not a backup file. Keep the backup passphrase or a backup security key as well.</source>
        <translation>Dein Wiederherstellungscode ist kein Backup-Schlüssel: Er entsperrt den Tresor dieses Computers, keine Backup-Datei. Bewahre auch die Backup-Passphrase oder einen Backup-Sicherheitsschlüssel auf.</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>Datensicherung</translation>
    </message>
    <message>
        <source>Make a backup</source>
        <translation>Backup erstellen</translation>
    </message>
    <message>
        <source>Protect it with a passphrase</source>
        <translation>Mit einer Passphrase schützen</translation>
    </message>
    <message>
        <source>Protect the backup with a passphrase</source>
        <translation>Das Backup mit einer Passphrase schützen</translation>
    </message>
    <message>
        <source>Open it with my backup security keys (no passphrase)</source>
        <translation>Mit meinen Backup-Sicherheitsschlüsseln öffnen (ohne Passphrase)</translation>
    </message>
    <message>
        <source>Encrypt the backup to my security keys</source>
        <translation>Das Backup für meine Sicherheitsschlüssel verschlüsseln</translation>
    </message>
    <message>
        <source>Include downloaded attachments</source>
        <translation>Heruntergeladene Anhänge einschließen</translation>
    </message>
    <message>
        <source>Backup file</source>
        <translation>Backup-Datei</translation>
    </message>
    <message>
        <source>Back up now</source>
        <translation>Jetzt sichern</translation>
    </message>
    <message>
        <source>Check or restore a backup</source>
        <translation>Backup prüfen oder wiederherstellen</translation>
    </message>
    <message>
        <source>Checking decrypts the whole file and compares every part with its manifest; it changes nothing. Restoring merges the backup into this profile: messages that are here already are skipped and nothing is removed.</source>
        <translation>Beim Prüfen wird die ganze Datei entschlüsselt und jeder Teil mit ihrem Manifest verglichen; dabei ändert sich nichts. Beim Wiederherstellen wird das Backup mit diesem Profil zusammengeführt: Nachrichten, die schon da sind, werden übersprungen, und nichts wird entfernt.</translation>
    </message>
    <message>
        <source>Backup to check or restore</source>
        <translation>Zu prüfendes oder wiederherzustellendes Backup</translation>
    </message>
    <message>
        <source>Passphrase of the backup</source>
        <translation>Passphrase des Backups</translation>
    </message>
    <message>
        <source>only for a passphrase backup; a security key backup asks for your key</source>
        <translation>nur für ein Passphrase-Backup; ein Schlüssel-Backup fragt nach deinem Schlüssel</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>Datei:</translation>
    </message>
    <message>
        <source>Passphrase:</source>
        <translation>Passphrase des Backups:</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Prüfen</translation>
    </message>
    <message>
        <source>Check the backup</source>
        <translation>Das Backup prüfen</translation>
    </message>
    <message>
        <source>Restore into this profile</source>
        <translation>In dieses Profil wiederherstellen</translation>
    </message>
    <message>
        <source>Restore the backup into this profile</source>
        <translation>Das Backup in dieses Profil wiederherstellen</translation>
    </message>
    <message>
        <source>Readable copy (export)</source>
        <translation>Lesbare Kopie (Export)</translation>
    </message>
    <message>
        <source>The export is NOT encrypted: anyone who can read the folder can read your messages. Keep it safe and delete it when you are done.</source>
        <translation>Der Export ist NICHT verschlüsselt: Wer den Ordner lesen kann, kann deine Nachrichten lesen. Bewahre ihn sicher auf und lösche ihn, wenn du fertig bist.</translation>
    </message>
    <message>
        <source>Export format</source>
        <translation>Exportformat</translation>
    </message>
    <message>
        <source>Export formats</source>
        <translation>Exportformate</translation>
    </message>
    <message>
        <source>HTML pages (for reading)</source>
        <translation>HTML-Seiten (zum Lesen)</translation>
    </message>
    <message>
        <source>JSON (for programs)</source>
        <translation>JSON (für Programme)</translation>
    </message>
    <message>
        <source>New folder for the export</source>
        <translation>Neuer Ordner für den Export</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>Dateiformat:</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>Ordner:</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <source>Export a readable copy</source>
        <translation>Eine lesbare Kopie exportieren</translation>
    </message>
    <message>
        <source>Automatic backups</source>
        <translation>Automatische Backups</translation>
    </message>
    <message>
        <source>While Keybound is unlocked it can back up by itself, to your backup security keys (no passphrase, no PIN needed to write them). If one fails you get a notification.</source>
        <translation>Solange Keybound entsperrt ist, kann es von selbst sichern, für deine Backup-Sicherheitsschlüssel (zum Schreiben braucht es weder Passphrase noch PIN). Schlägt eines fehl, bekommst du eine Benachrichtigung.</translation>
    </message>
    <message>
        <source>Back up every so many days</source>
        <translation>Alle wie viele Tage sichern</translation>
    </message>
    <message>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <source> days</source>
        <translation> Tage</translation>
    </message>
    <message>
        <source>Folder for automatic backups</source>
        <translation>Ordner für automatische Backups</translation>
    </message>
    <message>
        <source>Keep the newest so many backups</source>
        <translation>So viele der neuesten Backups behalten</translation>
    </message>
    <message>
        <source>Every:</source>
        <translation>Alle:</translation>
    </message>
    <message>
        <source>Into:</source>
        <translation>Nach:</translation>
    </message>
    <message>
        <source>Keep the last:</source>
        <translation>Die letzten behalten:</translation>
    </message>
    <message>
        <source>Last automatic backup</source>
        <translation>Letztes automatisches Backup</translation>
    </message>
    <message>
        <source>Save schedule</source>
        <translation>Zeitplan speichern</translation>
    </message>
    <message>
        <source>Save the automatic backup schedule</source>
        <translation>Den Zeitplan der automatischen Backups speichern</translation>
    </message>
    <message>
        <source>Backup security keys</source>
        <translation>Backup-Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Backups to security keys are encrypted to every key listed here; any one of them opens such a backup. Add your spare key too.</source>
        <translation>Backups für Sicherheitsschlüssel werden für jeden hier aufgeführten Schlüssel verschlüsselt; jeder davon öffnet ein solches Backup. Füge auch deinen Ersatzschlüssel hinzu.</translation>
    </message>
    <message>
        <source>No security key is set up for backups yet.</source>
        <translation>Noch ist kein Sicherheitsschlüssel für Backups eingerichtet.</translation>
    </message>
    <message>
        <source>Add the key that is plugged in</source>
        <translation>Den eingesteckten Schlüssel hinzufügen</translation>
    </message>
    <message>
        <source>Add the plugged-in key as a backup key</source>
        <translation>Den eingesteckten Schlüssel als Backup-Schlüssel hinzufügen</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Remove the selected backup key</source>
        <translation>Den ausgewählten Backup-Schlüssel entfernen</translation>
    </message>
    <message>
        <source>Save the backup as</source>
        <translation>Backup speichern unter</translation>
    </message>
    <message>
        <source>Keybound backups (*.age)</source>
        <translation>Keybound-Backups (*.age)</translation>
    </message>
    <message>
        <source>Choose a backup</source>
        <translation>Ein Backup auswählen</translation>
    </message>
    <message>
        <source>Keybound backups (*.age);;All files (*)</source>
        <translation>Keybound-Backups (*.age);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Where the export folder goes</source>
        <translation>Wohin der Exportordner kommt</translation>
    </message>
    <message>
        <source>Another backup step is still running.</source>
        <translation>Ein anderer Backup-Schritt läuft noch.</translation>
    </message>
    <message>
        <source>Cancelled. Nothing was written.</source>
        <translation>Abgebrochen. Es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <source>{path} exists already; choose another file.</source>
        <translation>{path} gibt es schon; wähle eine andere Datei.</translation>
    </message>
    <message>
        <source>Backed up {messages} messages and {files} attachment files to {path}.</source>
        <translation>{messages} Nachrichten und {files} Anhangsdateien nach {path} gesichert.</translation>
    </message>
    <message>
        <source>Backing up</source>
        <translation>Sichern</translation>
    </message>
    <message>
        <source>Choose the backup file first.</source>
        <translation>Wähle zuerst die Backup-Datei.</translation>
    </message>
    <message>
        <source>The backup is complete and intact: made {when}, {contacts} contacts, {conversations} conversations, {messages} messages, {files} attachment files.</source>
        <translation>Das Backup ist vollständig und unversehrt: erstellt {when}, {contacts} Kontakte, {conversations} Unterhaltungen, {messages} Nachrichten, {files} Anhangsdateien.</translation>
    </message>
    <message>
        <source>Checking the backup</source>
        <translation>Backup wird geprüft</translation>
    </message>
    <message>
        <source>Restoring the backup</source>
        <translation>Backup wird wiederhergestellt</translation>
    </message>
    <message>
        <source>Exported to {path}. It is not encrypted: delete it when you no longer need it.</source>
        <translation>Nach {path} exportiert. Der Export ist nicht verschlüsselt: Lösche ihn, wenn du ihn nicht mehr brauchst.</translation>
    </message>
    <message>
        <source>Exporting</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <source>smartcard</source>
        <translation>Smartcard</translation>
    </message>
    <message>
        <source>security key</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Last automatic backup: {when}.</source>
        <translation>Letztes automatisches Backup: {when}.</translation>
    </message>
    <message>
        <source>No automatic backup has run yet.</source>
        <translation>Es lief noch kein automatisches Backup.</translation>
    </message>
    <message>
        <source>Automatic backups every {n} days into {folder}.</source>
        <translation>Automatische Backups alle {n} Tage nach {folder}.</translation>
    </message>
    <message>
        <source>Automatic backups are off.</source>
        <translation>Automatische Backups sind aus.</translation>
    </message>
    <message>
        <source>Added {key}.</source>
        <translation>{key} hinzugefügt.</translation>
    </message>
    <message>
        <source>Choose the key to remove in the list.</source>
        <translation>Wähle in der Liste den Schlüssel, der entfernt werden soll.</translation>
    </message>
    <message>
        <source>Removed. New backups to security keys leave it out.</source>
        <translation>Entfernt. Neue Backups für Sicherheitsschlüssel lassen ihn aus.</translation>
    </message>
    <message>
        <source>Restored: {messages} messages added ({skipped} were here already), {conversations} conversations, {contacts} contacts, {reactions} reactions, {files} attachment files.</source>
        <translation>Wiederhergestellt: {messages} Nachrichten hinzugefügt ({skipped} waren schon da), {conversations} Unterhaltungen, {contacts} Kontakte, {reactions} Reaktionen, {files} Anhangsdateien.</translation>
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
    <name>ContactPage</name>
    <message>
        <source>Contact</source>
        <translation>Kontakt</translation>
    </message>
    <message>
        <source>Contact name</source>
        <translation>Kontaktname</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Umbenennen</translation>
    </message>
    <message>
        <source>Rename this contact</source>
        <translation>Diesen Kontakt umbenennen</translation>
    </message>
    <message>
        <source>Block</source>
        <translation>Blockieren</translation>
    </message>
    <message>
        <source>Security keys</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>Geräte</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>Verifizieren</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Unblock</source>
        <translation>Freigeben</translation>
    </message>
    <message>
        <source>Unblock this contact</source>
        <translation>Diesen Kontakt freigeben</translation>
    </message>
    <message>
        <source>Block this contact</source>
        <translation>Diesen Kontakt blockieren</translation>
    </message>
    <message>
        <source>Verified: you compared safety numbers.</source>
        <translation>Verifiziert: Ihr habt die Sicherheitsnummern verglichen.</translation>
    </message>
    <message>
        <source>Their security keys changed since you verified them: compare safety numbers again.</source>
        <translation>Die Sicherheitsschlüssel dieser Person haben sich seit der Verifizierung geändert: Vergleicht die Sicherheitsnummern erneut.</translation>
    </message>
    <message>
        <source>Not verified yet.</source>
        <translation>Noch nicht verifiziert.</translation>
    </message>
    <message>
        <source>Blocked: their messages are dropped unread.</source>
        <translation>Blockiert: Nachrichten dieser Person werden ungelesen verworfen.</translation>
    </message>
    <message>
        <source>FIDO2 security key</source>
        <translation>FIDO2-Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>OpenPGP card</source>
        <translation>OpenPGP-Karte</translation>
    </message>
    <message>
        <source>%1 %2, added %3</source>
        <translation>%1 %2, hinzugefügt am %3</translation>
    </message>
    <message>
        <source>Computer</source>
        <translation>Computer</translation>
    </message>
    <message>
        <source>%1 %2, known since %3</source>
        <translation>%1 %2, bekannt seit %3</translation>
    </message>
    <message>
        <source>post-quantum</source>
        <translation>Post-Quanten</translation>
    </message>
    <message>
        <source>A contact needs a name.</source>
        <translation>Ein Kontakt braucht einen Namen.</translation>
    </message>
    <message>
        <source>Renamed to %1.</source>
        <translation>Umbenannt in %1.</translation>
    </message>
</context>
<context>
    <name>ContactPicker</name>
    <message>
        <source>Filter contacts</source>
        <translation>Kontakte filtern</translation>
    </message>
    <message>
        <source>Contacts to add</source>
        <translation>Hinzuzufügende Kontakte</translation>
    </message>
    <message>
        <source>No contacts to choose from yet.</source>
        <translation>Noch keine Kontakte zur Auswahl.</translation>
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
    <name>ConversationTools</name>
    <message>
        <source>Group…</source>
        <translation>Gruppe…</translation>
    </message>
    <message>
        <source>Open the group page</source>
        <translation>Die Gruppenseite öffnen</translation>
    </message>
</context>
<context>
    <name>DevicesPage</name>
    <message>
        <source>Computers</source>
        <translation>Computer</translation>
    </message>
    <message>
        <source>Computers of your identity</source>
        <translation>Computer deiner Identität</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Added</source>
        <translation>Hinzugefügt</translation>
    </message>
    <message>
        <source>Last seen</source>
        <translation>Zuletzt gesehen</translation>
    </message>
    <message>
        <source>Remove computer…</source>
        <translation>Computer entfernen…</translation>
    </message>
    <message>
        <source>Add a computer…</source>
        <translation>Computer hinzufügen…</translation>
    </message>
    <message>
        <source>To add a computer: install Keybound on it, plug in your security key (this one or a spare) and choose “Add this computer” in its first-run wizard. It appears in this list as soon as it has joined.</source>
        <translation>So fügst du einen Computer hinzu: Installiere Keybound darauf, stecke deinen Sicherheitsschlüssel ein (diesen oder einen Ersatzschlüssel) und wähle im Einrichtungsassistenten „Diesen Computer hinzufügen“. Er erscheint in dieser Liste, sobald er dazugekommen ist.</translation>
    </message>
    <message>
        <source>How to add a computer</source>
        <translation>Wie man einen Computer hinzufügt</translation>
    </message>
    <message>
        <source>Security keys</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Your security keys</source>
        <translation>Deine Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Plugged in</source>
        <translation>Eingesteckt</translation>
    </message>
    <message>
        <source>On this computer</source>
        <translation>Auf diesem Computer</translation>
    </message>
    <message>
        <source>Add a spare key…</source>
        <translation>Ersatzschlüssel hinzufügen…</translation>
    </message>
    <message>
        <source>Remove key…</source>
        <translation>Schlüssel entfernen…</translation>
    </message>
    <message>
        <source>Change PIN…</source>
        <translation>PIN ändern…</translation>
    </message>
    <message>
        <source>Recovery code</source>
        <translation>Wiederherstellungscode</translation>
    </message>
    <message>
        <source>The recovery code unlocks Keybound on this computer without a key. Replace it if someone may have seen it; the old code stops working.</source>
        <translation>Der Wiederherstellungscode entsperrt Keybound auf diesem Computer ohne Schlüssel. Ersetze ihn, wenn jemand ihn gesehen haben könnte; der alte Code gilt dann nicht mehr.</translation>
    </message>
    <message>
        <source>Replace recovery code…</source>
        <translation>Wiederherstellungscode ersetzen…</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>%s (this computer)</source>
        <translation>%s (dieser Computer)</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>no messages yet</source>
        <translation>noch keine Nachrichten</translation>
    </message>
    <message>
        <source>OpenPGP card</source>
        <translation>OpenPGP-Karte</translation>
    </message>
    <message>
        <source>FIDO2 key</source>
        <translation>FIDO2-Schlüssel</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>unlocks it</source>
        <translation>entsperrt ihn</translation>
    </message>
    <message>
        <source>not enrolled here</source>
        <translation>hier nicht eingerichtet</translation>
    </message>
    <message>
        <source>Computer %s</source>
        <translation>Computer %s</translation>
    </message>
    <message>
        <source>Remove “%s” from your identity? It can no longer sign in to your account or read new messages. What it already stored stays on it. To use it again, add it again with your security key.</source>
        <translation>„%s“ aus deiner Identität entfernen? Er kann sich dann nicht mehr bei deinem Konto anmelden und keine neuen Nachrichten mehr lesen. Was er schon gespeichert hat, bleibt auf ihm. Um ihn wieder zu nutzen, füge ihn mit deinem Sicherheitsschlüssel erneut hinzu.</translation>
    </message>
    <message>
        <source>Remove computer</source>
        <translation>Computer entfernen</translation>
    </message>
    <message>
        <source>Removing “%s”… (your key signs this)</source>
        <translation>„%s“ wird entfernt… (dein Schlüssel unterschreibt das)</translation>
    </message>
    <message>
        <source>“%s” was removed.</source>
        <translation>„%s“ wurde entfernt.</translation>
    </message>
    <message>
        <source>Plug the spare key in next to your current key (a new key must be set up first with `keybound token init`). You are asked for your current key&apos;s PIN first, then for the spare key&apos;s. Your contacts see the new key and are asked to verify your keys again.</source>
        <translation>Stecke den Ersatzschlüssel neben deinem jetzigen Schlüssel ein (ein neuer Schlüssel muss zuerst mit `keybound token init` eingerichtet werden). Du wirst zuerst nach der PIN deines jetzigen Schlüssels gefragt, dann nach der des Ersatzschlüssels. Deine Kontakte sehen den neuen Schlüssel und werden gebeten, deine Schlüssel erneut zu überprüfen.</translation>
    </message>
    <message>
        <source>Add a spare key</source>
        <translation>Ersatzschlüssel hinzufügen</translation>
    </message>
    <message>
        <source>Adding the spare key…</source>
        <translation>Der Ersatzschlüssel wird hinzugefügt…</translation>
    </message>
    <message>
        <source>The spare key was added: it unlocks this computer and signs for you.</source>
        <translation>Der Ersatzschlüssel wurde hinzugefügt: Er entsperrt diesen Computer und unterschreibt für dich.</translation>
    </message>
    <message>
        <source>Remove this key? It no longer unlocks Keybound on this computer nor signs for your identity, and your contacts are asked to verify your keys again. Another of your keys must be plugged in to sign the change.</source>
        <translation>Diesen Schlüssel entfernen? Er entsperrt Keybound auf diesem Computer dann nicht mehr und unterschreibt nicht mehr für deine Identität; deine Kontakte werden gebeten, deine Schlüssel erneut zu überprüfen. Ein anderer deiner Schlüssel muss eingesteckt sein, um die Änderung zu unterschreiben.</translation>
    </message>
    <message>
        <source>Remove key</source>
        <translation>Schlüssel entfernen</translation>
    </message>
    <message>
        <source>Removing the key…</source>
        <translation>Der Schlüssel wird entfernt…</translation>
    </message>
    <message>
        <source>The key was removed.</source>
        <translation>Der Schlüssel wurde entfernt.</translation>
    </message>
    <message>
        <source>The PIN was changed.</source>
        <translation>Die PIN wurde geändert.</translation>
    </message>
    <message>
        <source>The recovery code was replaced; the old one no longer works.</source>
        <translation>Der Wiederherstellungscode wurde ersetzt; der alte gilt nicht mehr.</translation>
    </message>
</context>
<context>
    <name>EmojiNames</name>
    <message>
        <source>Dog</source>
        <translation>Hund</translation>
    </message>
    <message>
        <source>Cat</source>
        <translation>Katze</translation>
    </message>
    <message>
        <source>Lion</source>
        <translation>Löwe</translation>
    </message>
    <message>
        <source>Horse</source>
        <translation>Pferd</translation>
    </message>
    <message>
        <source>Unicorn</source>
        <translation>Einhorn</translation>
    </message>
    <message>
        <source>Pig</source>
        <translation>Schwein</translation>
    </message>
    <message>
        <source>Elephant</source>
        <translation>Elefant</translation>
    </message>
    <message>
        <source>Rabbit</source>
        <translation>Hase</translation>
    </message>
    <message>
        <source>Panda</source>
        <translation>Panda</translation>
    </message>
    <message>
        <source>Rooster</source>
        <translation>Hahn</translation>
    </message>
    <message>
        <source>Penguin</source>
        <translation>Pinguin</translation>
    </message>
    <message>
        <source>Turtle</source>
        <translation>Schildkröte</translation>
    </message>
    <message>
        <source>Fish</source>
        <translation>Fisch</translation>
    </message>
    <message>
        <source>Octopus</source>
        <translation>Oktopus</translation>
    </message>
    <message>
        <source>Butterfly</source>
        <translation>Schmetterling</translation>
    </message>
    <message>
        <source>Flower</source>
        <translation>Blume</translation>
    </message>
    <message>
        <source>Tree</source>
        <translation>Baum</translation>
    </message>
    <message>
        <source>Cactus</source>
        <translation>Kaktus</translation>
    </message>
    <message>
        <source>Mushroom</source>
        <translation>Pilz</translation>
    </message>
    <message>
        <source>Globe</source>
        <translation>Globus</translation>
    </message>
    <message>
        <source>Moon</source>
        <translation>Mond</translation>
    </message>
    <message>
        <source>Cloud</source>
        <translation>Wolke</translation>
    </message>
    <message>
        <source>Fire</source>
        <translation>Feuer</translation>
    </message>
    <message>
        <source>Banana</source>
        <translation>Banane</translation>
    </message>
    <message>
        <source>Apple</source>
        <translation>Apfel</translation>
    </message>
    <message>
        <source>Strawberry</source>
        <translation>Erdbeere</translation>
    </message>
    <message>
        <source>Corn</source>
        <translation>Mais</translation>
    </message>
    <message>
        <source>Pizza</source>
        <translation>Pizza</translation>
    </message>
    <message>
        <source>Cake</source>
        <translation>Kuchen</translation>
    </message>
    <message>
        <source>Heart</source>
        <translation>Herz</translation>
    </message>
    <message>
        <source>Smiley</source>
        <translation>Smiley</translation>
    </message>
    <message>
        <source>Robot</source>
        <translation>Roboter</translation>
    </message>
    <message>
        <source>Hat</source>
        <translation>Hut</translation>
    </message>
    <message>
        <source>Glasses</source>
        <translation>Brille</translation>
    </message>
    <message>
        <source>Spanner</source>
        <translation>Schraubenschlüssel</translation>
    </message>
    <message>
        <source>Santa</source>
        <translation>Weihnachtsmann</translation>
    </message>
    <message>
        <source>Thumbs Up</source>
        <translation>Daumen hoch</translation>
    </message>
    <message>
        <source>Umbrella</source>
        <translation>Regenschirm</translation>
    </message>
    <message>
        <source>Hourglass</source>
        <translation>Sanduhr</translation>
    </message>
    <message>
        <source>Clock</source>
        <translation>Wecker</translation>
    </message>
    <message>
        <source>Gift</source>
        <translation>Geschenk</translation>
    </message>
    <message>
        <source>Light Bulb</source>
        <translation>Glühbirne</translation>
    </message>
    <message>
        <source>Book</source>
        <translation>Buch</translation>
    </message>
    <message>
        <source>Pencil</source>
        <translation>Bleistift</translation>
    </message>
    <message>
        <source>Paperclip</source>
        <translation>Büroklammer</translation>
    </message>
    <message>
        <source>Scissors</source>
        <translation>Schere</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Schloss</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Schlüssel</translation>
    </message>
    <message>
        <source>Hammer</source>
        <translation>Hammer</translation>
    </message>
    <message>
        <source>Telephone</source>
        <translation>Telefon</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>Flagge</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>Zug</translation>
    </message>
    <message>
        <source>Bicycle</source>
        <translation>Fahrrad</translation>
    </message>
    <message>
        <source>Aeroplane</source>
        <translation>Flugzeug</translation>
    </message>
    <message>
        <source>Rocket</source>
        <translation>Rakete</translation>
    </message>
    <message>
        <source>Trophy</source>
        <translation>Pokal</translation>
    </message>
    <message>
        <source>Ball</source>
        <translation>Ball</translation>
    </message>
    <message>
        <source>Guitar</source>
        <translation>Gitarre</translation>
    </message>
    <message>
        <source>Trumpet</source>
        <translation>Trompete</translation>
    </message>
    <message>
        <source>Bell</source>
        <translation>Glocke</translation>
    </message>
    <message>
        <source>Anchor</source>
        <translation>Anker</translation>
    </message>
    <message>
        <source>Headphones</source>
        <translation>Kopfhörer</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>Stecknadel</translation>
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
    <name>EmojiVerificationDialog</name>
    <message>
        <source>Verify with emoji</source>
        <translation>Mit Emoji verifizieren</translation>
    </message>
    <message>
        <source>Compare emoji only while you can see or hear them: side by side, or on a call where you recognise their voice.</source>
        <translation>Vergleicht die Emoji nur, während du die Person siehst oder hörst: nebeneinander oder in einem Anruf, in dem du ihre Stimme erkennst.</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Ablehnen</translation>
    </message>
    <message>
        <source>Start comparing</source>
        <translation>Vergleichen</translation>
    </message>
    <message>
        <source>They open your conversation and choose Verify, or run `keybound contact verify &lt;your name&gt; --sas`.</source>
        <translation>Sie öffnet eure Unterhaltung und wählt „Verifizieren“ oder führt `keybound contact verify &lt;dein Name&gt; --sas` aus.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>They don&apos;t match</source>
        <translation>Sie stimmen nicht überein</translation>
    </message>
    <message>
        <source>They match</source>
        <translation>Sie stimmen überein</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>Was geschehen ist</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>%1 is verified</source>
        <translation>%1 ist verifiziert</translation>
    </message>
    <message>
        <source>The emoji matched: nobody sits between you. If their security keys change, Keybound will tell you.</source>
        <translation>Die Emoji stimmten überein: Niemand sitzt zwischen euch. Ändern sich die Sicherheitsschlüssel dieser Person, sagt Keybound es dir.</translation>
    </message>
    <message>
        <source>The emoji did not match</source>
        <translation>Die Emoji stimmten nicht überein</translation>
    </message>
    <message>
        <source>Someone may be between you and %1. Do not trust this conversation: meet them, or call them on a number you know, and compare safety numbers. %1 is marked as suspect until then.</source>
        <translation>Vielleicht sitzt jemand zwischen dir und %1. Vertraue dieser Unterhaltung nicht: Triff die Person oder ruf sie unter einer Nummer an, die du kennst, und vergleicht die Sicherheitsnummern. Bis dahin ist %1 als verdächtig markiert.</translation>
    </message>
    <message>
        <source>The verification timed out</source>
        <translation>Die Verifizierung ist abgelaufen</translation>
    </message>
    <message>
        <source>Nothing was changed. Start again when you are both ready.</source>
        <translation>Es wurde nichts geändert. Fangt neu an, wenn ihr beide bereit seid.</translation>
    </message>
    <message>
        <source>The verification was cancelled</source>
        <translation>Die Verifizierung wurde abgebrochen</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>Es wurde nichts geändert.</translation>
    </message>
    <message>
        <source>Verify %1 with emoji</source>
        <translation>%1 mit Emoji verifizieren</translation>
    </message>
    <message>
        <source>%1 wants to verify with you</source>
        <translation>%1 möchte sich mit dir verifizieren</translation>
    </message>
    <message>
        <source>Exchanging keys with %1…</source>
        <translation>Schlüssel werden mit %1 ausgetauscht…</translation>
    </message>
    <message>
        <source>Waiting for %1 to accept on their device…</source>
        <translation>Warten, bis %1 auf dem eigenen Gerät annimmt…</translation>
    </message>
    <message>
        <source>Do these emoji appear on %1&apos;s screen, in the same order?</source>
        <translation>Erscheinen diese Emoji in derselben Reihenfolge auf dem Bildschirm von %1?</translation>
    </message>
    <message>
        <source>Waiting for %1 to confirm on their side…</source>
        <translation>Warten, bis %1 auf der eigenen Seite bestätigt…</translation>
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
        <source>Choose the backup file to restore, or untick the box.</source>
        <translation>Wähle die Backup-Datei zum Wiederherstellen, oder entferne das Häkchen.</translation>
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
        <source>Type the backup&apos;s passphrase.</source>
        <translation>Gib die Passphrase des Backups ein.</translation>
    </message>
    <message>
        <source>Restoring was cancelled; nothing was restored.</source>
        <translation>Das Wiederherstellen wurde abgebrochen; es wurde nichts wiederhergestellt.</translation>
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
    <name>GroupPage</name>
    <message>
        <source>Group</source>
        <translation>Gruppe</translation>
    </message>
    <message>
        <source>Group name</source>
        <translation>Gruppenname</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Umbenennen</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>Mitglieder</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>Mitglied</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Rolle</translation>
    </message>
    <message>
        <source>Security keys</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Add members…</source>
        <translation>Mitglieder hinzufügen…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Leave group…</source>
        <translation>Gruppe verlassen…</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Disappearing messages</source>
        <translation>Verschwindende Nachrichten</translation>
    </message>
    <message>
        <source>You are no longer a member of this group.</source>
        <translation>Du bist kein Mitglied dieser Gruppe mehr.</translation>
    </message>
    <message>
        <source>You are an admin: you can add and remove members.</source>
        <translation>Du bist Admin: Du kannst Mitglieder hinzufügen und entfernen.</translation>
    </message>
    <message>
        <source>Only the group&apos;s admins can add or remove members.</source>
        <translation>Nur die Admins der Gruppe können Mitglieder hinzufügen oder entfernen.</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>Admin</translation>
    </message>
    <message>
        <source>member</source>
        <translation>Mitglied</translation>
    </message>
    <message>
        <source>not a contact</source>
        <translation>kein Kontakt</translation>
    </message>
    <message>
        <source>Remove %1 from the group? They will not see anything sent after this.</source>
        <translation>%1 aus der Gruppe entfernen? Danach Gesendetes wird für diese Person nicht mehr sichtbar.</translation>
    </message>
    <message>
        <source>Remove member</source>
        <translation>Mitglied entfernen</translation>
    </message>
    <message>
        <source>Leave this group? You will not get its messages any more, and only an admin can add you again.</source>
        <translation>Diese Gruppe verlassen? Du bekommst dann keine Nachrichten mehr aus ihr, und nur ein Admin kann dich wieder hinzufügen.</translation>
    </message>
    <message>
        <source>Leave group</source>
        <translation>Gruppe verlassen</translation>
    </message>
</context>
<context>
    <name>HeaderActions</name>
    <message>
        <source>Contact…</source>
        <translation>Kontakt…</translation>
    </message>
    <message>
        <source>Open the contact page</source>
        <translation>Die Kontaktseite öffnen</translation>
    </message>
</context>
<context>
    <name>IdentityBanner</name>
    <message>
        <source>Identity warning</source>
        <translation>Identitätswarnung</translation>
    </message>
    <message>
        <source>Verify again</source>
        <translation>Erneut verifizieren</translation>
    </message>
    <message>
        <source>Accept the change</source>
        <translation>Änderung annehmen</translation>
    </message>
    <message>
        <source>Verify…</source>
        <translation>Verifizieren…</translation>
    </message>
    <message>
        <source>Verify this contact with emoji</source>
        <translation>Diesen Kontakt mit Emoji verifizieren</translation>
    </message>
    <message>
        <source>Compare emoji with this contact in real time</source>
        <translation>Emoji mit diesem Kontakt in Echtzeit vergleichen</translation>
    </message>
    <message>
        <source>This contact</source>
        <translation>Dieser Kontakt</translation>
    </message>
    <message>
        <source>⚠ Possible attack</source>
        <translation>⚠ Möglicher Angriff</translation>
    </message>
    <message>
        <source>⚠ The emoji did not match</source>
        <translation>⚠ Die Emoji stimmten nicht überein</translation>
    </message>
    <message>
        <source>⚠ Security keys changed</source>
        <translation>⚠ Sicherheitsschlüssel geändert</translation>
    </message>
    <message>
        <source>Warning: possible attack. Someone offered a conflicting history of %1&apos;s identity, which %1 would never make. It was refused. Do not trust this conversation until you have verified %1 in person.</source>
        <translation>Warnung: möglicher Angriff. Jemand hat einen widersprüchlichen Verlauf der Identität von %1 angeboten, den %1 nie erstellen würde. Er wurde abgelehnt. Vertraue dieser Unterhaltung nicht, bis du %1 persönlich verifiziert hast.</translation>
    </message>
    <message>
        <source>%1 is suspect: the emoji did not match when you verified. Someone may be between you. Meet or call them on a number you know, then verify again.</source>
        <translation>%1 ist verdächtig: Die Emoji stimmten beim Verifizieren nicht überein. Vielleicht sitzt jemand zwischen euch. Triff die Person oder ruf sie unter einer Nummer an, die du kennst, und verifiziere sie dann erneut.</translation>
    </message>
    <message>
        <source>%1&apos;s security keys changed. Make sure this is really them: verify them again, or accept the change if you know why it happened.</source>
        <translation>Die Sicherheitsschlüssel von %1 haben sich geändert. Stelle sicher, dass es wirklich diese Person ist: Verifiziere sie erneut oder nimm die Änderung an, wenn du weißt, warum sie geschah.</translation>
    </message>
    <message>
        <source>Sending to %1 is held until you do.</source>
        <translation>Das Senden an %1 ist bis dahin angehalten.</translation>
    </message>
    <message>
        <source>Dismiss the warning</source>
        <translation>Warnung ausblenden</translation>
    </message>
</context>
<context>
    <name>InviteDialog</name>
    <message>
        <source>Invite someone</source>
        <translation>Jemanden einladen</translation>
    </message>
    <message>
        <source>Send this link to the person you want to write to, or let them scan the code. It tells their Keybound how to reach you and which keys are yours; it is not a secret.</source>
        <translation>Schick diesen Link der Person, der du schreiben willst, oder lass sie den Code scannen. Er sagt ihrem Keybound, wie du erreichbar bist und welche Schlüssel deine sind; er ist kein Geheimnis.</translation>
    </message>
    <message>
        <source>Your invite link</source>
        <translation>Dein Einladungslink</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Copy the invite link</source>
        <translation>Den Einladungslink kopieren</translation>
    </message>
    <message>
        <source>Share by mail…</source>
        <translation>Per E-Mail teilen…</translation>
    </message>
    <message>
        <source>Share the invite link by mail</source>
        <translation>Den Einladungslink per E-Mail teilen</translation>
    </message>
    <message>
        <source>Your invite as a QR code</source>
        <translation>Deine Einladung als QR-Code</translation>
    </message>
    <message>
        <source>Save as PNG…</source>
        <translation>Als PNG speichern…</translation>
    </message>
    <message>
        <source>Save the QR code as a PNG image</source>
        <translation>Den QR-Code als PNG-Bild speichern</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>The link is on the clipboard.</source>
        <translation>Der Link ist in der Zwischenablage.</translation>
    </message>
    <message>
        <source>Write to me on Keybound</source>
        <translation>Schreib mir auf Keybound</translation>
    </message>
    <message>
        <source>Add me on Keybound with this link:

%1
</source>
        <translation>Füge mich auf Keybound mit diesem Link hinzu:

%1
</translation>
    </message>
    <message>
        <source>No mail program could be opened; copy the link instead.</source>
        <translation>Es konnte kein E-Mail-Programm geöffnet werden; kopiere stattdessen den Link.</translation>
    </message>
    <message>
        <source>Save the invite&apos;s QR code</source>
        <translation>Den QR-Code der Einladung speichern</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG-Bilder (*.png)</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Wird gespeichert…</translation>
    </message>
    <message>
        <source>Saved as %1.</source>
        <translation>Gespeichert als %1.</translation>
    </message>
</context>
<context>
    <name>JoinPage</name>
    <message>
        <source>This key already has an account</source>
        <translation>Dieser Sicherheitsschlüssel hat schon ein Konto</translation>
    </message>
    <message>
        <source>You can add this computer as a new device of that account. Your other devices and your contacts learn of it; this computer starts with an empty history, unless you restore it from a backup.</source>
        <translation>Du kannst diesen Computer als neues Gerät zu diesem Konto hinzufügen. Deine anderen Geräte und deine Kontakte erfahren davon; dieser Computer beginnt mit einem leeren Verlauf, außer du stellst ihn aus einem Backup wieder her.</translation>
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
        <source>Invite someone…</source>
        <translation>Jemanden einladen…</translation>
    </message>
    <message>
        <source>Add contact…</source>
        <translation>Kontakt hinzufügen…</translation>
    </message>
    <message>
        <source>New group…</source>
        <translation>Neue Gruppe…</translation>
    </message>
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
    <name>NewGroupDialog</name>
    <message>
        <source>New group</source>
        <translation>Neue Gruppe</translation>
    </message>
    <message>
        <source>What the group is called</source>
        <translation>Wie die Gruppe heißt</translation>
    </message>
    <message>
        <source>Group name</source>
        <translation>Gruppenname</translation>
    </message>
    <message>
        <source>Create group</source>
        <translation>Gruppe erstellen</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>Mitglieder</translation>
    </message>
    <message>
        <source>Choose at least one member.</source>
        <translation>Wähle mindestens ein Mitglied.</translation>
    </message>
    <message>
        <source>1 member, and you</source>
        <translation>1 Mitglied und du</translation>
    </message>
    <message>
        <source>%1 members, and you</source>
        <translation>%1 Mitglieder und du</translation>
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
        <source>Automatic backup failed</source>
        <translation>Automatisches Backup fehlgeschlagen</translation>
    </message>
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
    <name>PassphraseChooser</name>
    <message>
        <source>Use this generated passphrase</source>
        <translation>Diese erzeugte Passphrase verwenden</translation>
    </message>
    <message>
        <source>Use a generated passphrase</source>
        <translation>Eine erzeugte Passphrase verwenden</translation>
    </message>
    <message>
        <source>Type my own passphrase</source>
        <translation>Eine eigene Passphrase eingeben</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <source>Copy the passphrase</source>
        <translation>Die Passphrase kopieren</translation>
    </message>
    <message>
        <source>Another one</source>
        <translation>Eine andere</translation>
    </message>
    <message>
        <source>Generate another passphrase</source>
        <translation>Eine andere Passphrase erzeugen</translation>
    </message>
    <message>
        <source>I have written this passphrase down or stored it safely</source>
        <translation>Ich habe diese Passphrase aufgeschrieben oder sicher gespeichert</translation>
    </message>
    <message>
        <source>I have kept the passphrase</source>
        <translation>Ich habe die Passphrase aufbewahrt</translation>
    </message>
    <message>
        <source>Backup passphrase</source>
        <translation>Backup-Passphrase</translation>
    </message>
    <message>
        <source>Backup passphrase again</source>
        <translation>Backup-Passphrase noch einmal</translation>
    </message>
    <message>
        <source>Passphrase:</source>
        <translation>Deine Passphrase:</translation>
    </message>
    <message>
        <source>Again:</source>
        <translation>Noch einmal:</translation>
    </message>
    <message>
        <source>At least 12 characters; a few unrelated words are easier to remember than symbols.</source>
        <translation>Mindestens 12 Zeichen; ein paar Wörter ohne Zusammenhang merkt man sich leichter als Sonderzeichen.</translation>
    </message>
    <message>
        <source>Write the passphrase down first (and tick the box): it is stored nowhere, and without it the backup cannot be opened.</source>
        <translation>Schreib die Passphrase zuerst auf (und setze das Häkchen): Sie wird nirgends gespeichert, und ohne sie lässt sich das Backup nicht öffnen.</translation>
    </message>
    <message>
        <source>The two passphrases differ. Type the same one twice.</source>
        <translation>Die beiden Passphrasen unterscheiden sich. Gib zweimal dieselbe ein.</translation>
    </message>
</context>
<context>
    <name>PinChangeDialog</name>
    <message>
        <source>Change PIN</source>
        <translation>PIN ändern</translation>
    </message>
    <message>
        <source>Change the PIN of key %s (it must be plugged in).</source>
        <translation>Ändere die PIN des Schlüssels %s (er muss eingesteckt sein).</translation>
    </message>
    <message>
        <source>Current PIN</source>
        <translation>Jetzige PIN</translation>
    </message>
    <message>
        <source>New PIN</source>
        <translation>Neue PIN</translation>
    </message>
    <message>
        <source>New PIN again</source>
        <translation>Neue PIN noch einmal</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>The two new PINs are not the same.</source>
        <translation>Die beiden neuen PINs sind nicht gleich.</translation>
    </message>
    <message>
        <source>Changing the PIN…</source>
        <translation>Die PIN wird geändert…</translation>
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
    <message>
        <source>to approve adding a spare key (this is your current key)</source>
        <translation>um das Hinzufügen eines Ersatzschlüssels zu bestätigen (das ist dein jetziger Schlüssel)</translation>
    </message>
    <message>
        <source>to add it as your spare key (this is the new key)</source>
        <translation>um ihn als Ersatzschlüssel hinzuzufügen (das ist der neue Schlüssel)</translation>
    </message>
    <message>
        <source>to remove a key from your identity</source>
        <translation>um einen Schlüssel aus deiner Identität zu entfernen</translation>
    </message>
    <message>
        <source>to replace your recovery code</source>
        <translation>um deinen Wiederherstellungscode zu ersetzen</translation>
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
    <name>ProgressDialog</name>
    <message>
        <source>Starting…</source>
        <translation>Wird gestartet…</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <source>Done so far</source>
        <translation>Bisher erledigt</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel this step</source>
        <translation>Diesen Schritt abbrechen</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>{done} of {total} messages, {mb:.1f} MB</source>
        <translation>{done} von {total} Nachrichten, {mb:.1f} MB</translation>
    </message>
    <message>
        <source>{done} messages, {mb:.1f} MB</source>
        <translation>{done} Nachrichten, {mb:.1f} MB</translation>
    </message>
    <message>
        <source>Writing the encrypted backup…</source>
        <translation>Das verschlüsselte Backup wird geschrieben…</translation>
    </message>
    <message>
        <source>Decrypting and checking the backup…</source>
        <translation>Das Backup wird entschlüsselt und geprüft…</translation>
    </message>
    <message>
        <source>Writing the readable copy…</source>
        <translation>Die lesbare Kopie wird geschrieben…</translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>In Arbeit…</translation>
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
    <name>RecoveryDialog</name>
    <message>
        <source>Replace recovery code</source>
        <translation>Wiederherstellungscode ersetzen</translation>
    </message>
    <message>
        <source>Your new recovery code. Write it down now and keep it somewhere safe: it is shown only this once. The old code keeps working until you have typed this one back.</source>
        <translation>Dein neuer Wiederherstellungscode. Schreib ihn jetzt auf und bewahre ihn sicher auf: Er wird nur dieses eine Mal gezeigt. Der alte Code gilt weiter, bis du diesen hier zurückgetippt hast.</translation>
    </message>
    <message>
        <source>Making a new code…</source>
        <translation>Ein neuer Code wird erzeugt…</translation>
    </message>
    <message>
        <source>New recovery code</source>
        <translation>Neuer Wiederherstellungscode</translation>
    </message>
    <message>
        <source>I wrote it down</source>
        <translation>Ich habe ihn aufgeschrieben</translation>
    </message>
    <message>
        <source>Type the new recovery code as you wrote it down.</source>
        <translation>Tippe den neuen Wiederherstellungscode so ein, wie du ihn aufgeschrieben hast.</translation>
    </message>
    <message>
        <source>The new recovery code, typed back</source>
        <translation>Der neue Wiederherstellungscode, zurückgetippt</translation>
    </message>
    <message>
        <source>Replace the code</source>
        <translation>Code ersetzen</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Replacing the recovery code… (your key&apos;s PIN is asked)</source>
        <translation>Der Wiederherstellungscode wird ersetzt… (die PIN deines Schlüssels wird abgefragt)</translation>
    </message>
    <message>
        <source>The recovery code was replaced; the old one no longer works.</source>
        <translation>Der Wiederherstellungscode wurde ersetzt; der alte gilt nicht mehr.</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
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
</context>
<context>
    <name>RestoreChoice</name>
    <message>
        <source>Then restore my history from a backup file</source>
        <translation>Danach meinen Verlauf aus einer Backup-Datei wiederherstellen</translation>
    </message>
    <message>
        <source>Restore the history from a backup file</source>
        <translation>Den Verlauf aus einer Backup-Datei wiederherstellen</translation>
    </message>
    <message>
        <source>Backup file</source>
        <translation>Backup-Datei</translation>
    </message>
    <message>
        <source>a Keybound backup (.age)</source>
        <translation>ein Keybound-Backup (.age)</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Auswählen…</translation>
    </message>
    <message>
        <source>Choose the backup file</source>
        <translation>Die Backup-Datei auswählen</translation>
    </message>
    <message>
        <source>Choose your backup</source>
        <translation>Dein Backup auswählen</translation>
    </message>
    <message>
        <source>Keybound backups (*.age);;All files (*)</source>
        <translation>Keybound-Backups (*.age);;Alle Dateien (*)</translation>
    </message>
</context>
<context>
    <name>RestorePage</name>
    <message>
        <source>Restore your history</source>
        <translation>Deinen Verlauf wiederherstellen</translation>
    </message>
    <message>
        <source>Backup passphrase</source>
        <translation>Backup-Passphrase</translation>
    </message>
    <message>
        <source>Backup passphrase:</source>
        <translation>Backup-Passphrase:</translation>
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
        <source>Skip</source>
        <translation>Überspringen</translation>
    </message>
    <message>
        <source>Skip restoring the history</source>
        <translation>Das Wiederherstellen des Verlaufs überspringen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel restoring</source>
        <translation>Das Wiederherstellen abbrechen</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>Wiederherstellen</translation>
    </message>
    <message>
        <source>Restore the history</source>
        <translation>Den Verlauf wiederherstellen</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Weiter</translation>
    </message>
    <message>
        <source>From {path}</source>
        <translation>Aus {path}</translation>
    </message>
    <message>
        <source>This backup is protected by a passphrase. Type it here.</source>
        <translation>Dieses Backup ist mit einer Passphrase geschützt. Gib sie hier ein.</translation>
    </message>
    <message>
        <source>This backup opens with your security key; keep it plugged in.</source>
        <translation>Dieses Backup öffnet sich mit deinem Sicherheitsschlüssel; lass ihn eingesteckt.</translation>
    </message>
    <message>
        <source>Decrypting and checking the backup…</source>
        <translation>Das Backup wird entschlüsselt und geprüft…</translation>
    </message>
    <message>
        <source>{n} messages read, {mb:.1f} MB</source>
        <translation>{n} Nachrichten gelesen, {mb:.1f} MB</translation>
    </message>
</context>
<context>
    <name>SafetyPanel</name>
    <message>
        <source>Compare this number with %1, in person or on a call you trust, or scan the code on their screen. If it is the same on both sides, nobody sits between you.</source>
        <translation>Vergleiche diese Nummer mit %1, persönlich oder in einem Anruf, dem du vertraust, oder scanne den Code auf dem Bildschirm der Person. Ist sie auf beiden Seiten gleich, sitzt niemand zwischen euch.</translation>
    </message>
    <message>
        <source>Your safety number as a QR code, for them to scan</source>
        <translation>Deine Sicherheitsnummer als QR-Code, zum Scannen für die andere Person</translation>
    </message>
    <message>
        <source>Mark as verified</source>
        <translation>Als verifiziert markieren</translation>
    </message>
    <message>
        <source>Mark as verified: the numbers match</source>
        <translation>Als verifiziert markieren: Die Nummern stimmen überein</translation>
    </message>
    <message>
        <source>Scan their code from an image…</source>
        <translation>Den Code der Person aus einem Bild scannen…</translation>
    </message>
    <message>
        <source>Scan their safety number code from an image</source>
        <translation>Den Sicherheitsnummer-Code der Person aus einem Bild scannen</translation>
    </message>
    <message>
        <source>Compare emoji…</source>
        <translation>Emoji vergleichen…</translation>
    </message>
    <message>
        <source>Verify by comparing emoji in real time</source>
        <translation>In Echtzeit durch Vergleichen von Emoji verifizieren</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>Safety number, first half: %1</source>
        <translation>Sicherheitsnummer, erste Hälfte: %1</translation>
    </message>
    <message>
        <source>Safety number, second half: %1</source>
        <translation>Sicherheitsnummer, zweite Hälfte: %1</translation>
    </message>
    <message>
        <source>%1 is verified.</source>
        <translation>%1 ist verifiziert.</translation>
    </message>
    <message>
        <source>Their safety number code</source>
        <translation>Der Sicherheitsnummer-Code der Person</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp)</source>
        <translation>Bilder (*.png *.jpg *.jpeg *.gif *.bmp *.webp)</translation>
    </message>
    <message>
        <source>Reading the code…</source>
        <translation>Code wird gelesen…</translation>
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
    <name>Section</name>
    <message>
        <source>Result</source>
        <translation>Ergebnis</translation>
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
        <translation>Einstellungsseiten</translation>
    </message>
    <message>
        <source>About</source>
        <translation>Über</translation>
    </message>
    <message>
        <source>Devices and keys</source>
        <translation>Geräte und Schlüssel</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>Datensicherung</translation>
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
</context>
<context>
    <name>SystemLine</name>
    <message>
        <source>1 week</source>
        <translation>1 Woche</translation>
    </message>
    <message>
        <source>%1 weeks</source>
        <translation>%1 Wochen</translation>
    </message>
    <message>
        <source>1 day</source>
        <translation>1 Tag</translation>
    </message>
    <message>
        <source>%1 days</source>
        <translation>%1 Tage</translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation>1 Stunde</translation>
    </message>
    <message>
        <source>%1 hours</source>
        <translation>%1 Stunden</translation>
    </message>
    <message>
        <source>1 minute</source>
        <translation>1 Minute</translation>
    </message>
    <message>
        <source>%1 minutes</source>
        <translation>%1 Minuten</translation>
    </message>
    <message>
        <source>1 second</source>
        <translation>1 Sekunde</translation>
    </message>
    <message>
        <source>%1 seconds</source>
        <translation>%1 Sekunden</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Aus</translation>
    </message>
    <message>
        <source>you</source>
        <translation>dich</translation>
    </message>
    <message>
        <source>You created the group “%1”</source>
        <translation>Du hast die Gruppe „%1“ erstellt</translation>
    </message>
    <message>
        <source>%1 created the group “%2”</source>
        <translation>%1 hat die Gruppe „%2“ erstellt</translation>
    </message>
    <message>
        <source>You added %1</source>
        <translation>Du hast %1 hinzugefügt</translation>
    </message>
    <message>
        <source>%1 added %2</source>
        <translation>%1 hat %2 hinzugefügt</translation>
    </message>
    <message>
        <source>You removed %1</source>
        <translation>Du hast %1 entfernt</translation>
    </message>
    <message>
        <source>%1 removed %2</source>
        <translation>%1 hat %2 entfernt</translation>
    </message>
    <message>
        <source>You left the group</source>
        <translation>Du hast die Gruppe verlassen</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>%1 hat die Gruppe verlassen</translation>
    </message>
    <message>
        <source>You renamed the group to “%1”</source>
        <translation>Du hast die Gruppe in „%1“ umbenannt</translation>
    </message>
    <message>
        <source>%1 renamed the group to “%2”</source>
        <translation>%1 hat die Gruppe in „%2“ umbenannt</translation>
    </message>
    <message>
        <source>You turned disappearing messages off</source>
        <translation>Du hast verschwindende Nachrichten ausgeschaltet</translation>
    </message>
    <message>
        <source>%1 turned disappearing messages off</source>
        <translation>%1 hat verschwindende Nachrichten ausgeschaltet</translation>
    </message>
    <message>
        <source>You set disappearing messages to %1</source>
        <translation>Du hast verschwindende Nachrichten auf %1 gestellt</translation>
    </message>
    <message>
        <source>%1 set disappearing messages to %2</source>
        <translation>%1 hat verschwindende Nachrichten auf %2 gestellt</translation>
    </message>
    <message>
        <source>The conversation changed</source>
        <translation>Die Unterhaltung wurde geändert</translation>
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
    <name>TimerButton</name>
    <message>
        <source>Disappearing messages</source>
        <translation>Verschwindende Nachrichten</translation>
    </message>
    <message>
        <source>Messages disappear after…</source>
        <translation>Nachrichten verschwinden nach…</translation>
    </message>
    <message>
        <source>Messages disappear after %1</source>
        <translation>Nachrichten verschwinden nach %1</translation>
    </message>
    <message>
        <source>Disappearing messages: off</source>
        <translation>Verschwindende Nachrichten: aus</translation>
    </message>
</context>
<context>
    <name>TimerChoice</name>
    <message>
        <source>Disappearing messages</source>
        <translation>Verschwindende Nachrichten</translation>
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
    <name>Verification</name>
    <message>
        <source>verified</source>
        <translation>verifiziert</translation>
    </message>
    <message>
        <source>keys changed</source>
        <translation>Schlüssel geändert</translation>
    </message>
    <message>
        <source>not verified</source>
        <translation>nicht verifiziert</translation>
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
