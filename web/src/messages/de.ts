/**
 * Every text of the web UI, in German, for hosting customers in Germany: polite "Sie", the
 * panel's words (Backup, Zeitplan, Snapshot, Wiederherstellen, Verlauf). Typed `Messages`, so a
 * key missing here is a compile error; the catalog test also checks params and empty texts.
 */
import { deErrors } from './de-errors.js';
import type { Messages } from './en.js';

const n1 = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const de: Messages = {
  locale: 'de-DE',

  app: {
    title: 'Backups',
    adminTitle: 'Backups: Verwaltung',
    signedInAs: (name: string) => `Angemeldet als ${name}`,
    signOut: 'Abmelden',
    signOutFailed: 'Die Abmeldung ist fehlgeschlagen. Bitte versuchen Sie es erneut.',
    loading: 'Wird geladen …',
    sessionFailed:
      'Der Backup-Dienst antwortet nicht. Bitte versuchen Sie es in einem Moment erneut.',
    retry: 'Erneut versuchen',
  },

  signIn: {
    title: 'Bei Backups anmelden',
    intro: 'Verwenden Sie den Benutzernamen und das Passwort Ihres Hosting-Kontos.',
    username: 'Benutzername',
    password: 'Passwort',
    submit: 'Anmelden',
    failed: 'Die Anmeldung ist fehlgeschlagen.',
    againTitle: 'Bitte melden Sie sich erneut an',
    againNotice:
      'Ihre Sitzung ist abgelaufen. Melden Sie sich erneut an, um dort weiterzumachen, wo Sie waren: Ihre Eingaben auf der Seite bleiben erhalten.',
  },

  common: {
    cancel: 'Abbrechen',
    close: 'Schließen',
    closeDialog: 'Dialog schließen',
    save: 'Speichern',
    create: 'Anlegen',
    delete: 'Löschen',
    back: 'Zurück',
    never: 'Nie',
    none: '—',
    loading: 'Wird geladen …',
    tryAgain: 'Erneut versuchen',
    required: 'Pflichtfeld',
    togglePassword: 'Passwort anzeigen oder verbergen',
    firstPage: 'Erste Seite',
    previousPage: 'Vorherige Seite',
    nextPage: 'Nächste Seite',
    lastPage: 'Letzte Seite',
    pageNumber: (n: number) => `Seite ${n}`,
  },

  errors: {
    network:
      'Der Backup-Dienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
    unexpected: (status: number) =>
      `Der Backup-Dienst hat unerwartet geantwortet (HTTP ${status}).`,
    checkFields: 'Bitte prüfen Sie die markierten Felder.',
    wholeNumber: 'Geben Sie eine ganze Zahl ein, etwa 7.',
    signInAgain: 'Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.',
    byCode: deErrors,
  },

  page: {
    intro:
      'Richten Sie automatische Backup-Zeitpläne ein, starten Sie Backups von Hand, sehen Sie Ihre Snapshots an und stellen Sie bei Bedarf einzelne Dateien oder ganze Teile Ihrer Website wieder her.',
    visibility:
      'Sie sehen nur Ihre eigenen Backup-Zeitpläne. Serverweite Backups Ihres Hosting-Anbieters werden im Verwaltungsbereich verwaltet.',
    tabs: { schedules: 'Zeitpläne', history: 'Verlauf', restore: 'Wiederherstellen' },
  },

  banner: {
    title: 'Aktive Aufgaben',
    pollFailed: (message: string) =>
      `Die aktiven Aufgaben konnten nicht aktualisiert werden: ${message}`,
    type: {
      backup: 'Backup',
      restore: 'Wiederherstellung',
      maintenance: 'Wartung',
      drill: 'Wiederherstellungsprobe',
      copy: 'Zweitkopie',
      lifecycle: 'Kunden-Lebenszyklus',
    },
    status: { running: 'Läuft', pending: 'Wartet' },
    startedAt: (time: string) => `Gestartet ${time}`,
    queuedAt: (time: string) => `Eingereiht ${time}`,
    progress: (percent: string) => `${percent} %`,
    progressLabel: (name: string) => `Fortschritt von ${name}`,
    eta: (left: string) => `noch etwa ${left}`,
    waiting: 'Wartet auf einen freien Platz …',
    finishing: 'Wird im Backup-Speicher gesichert …',
    cancel: 'Abbrechen',
    cancelLabel: (name: string) => `${name} abbrechen`,
    cancelFailed: (message: string) => `Abbrechen nicht möglich: ${message}`,
    unnamed: 'Auftrag',
    announce: (type: string, name: string, status: string) => `${type} ${name}: ${status}`,
    allDone: 'Gerade laufen keine Aufgaben.',
    amounts: (done: string, total: string, files: number, filesTotal: number) =>
      `${done} von ${total} · ${files.toLocaleString('de-DE')} von ${filesTotal.toLocaleString('de-DE')} Dateien`,
    ended: (name: string) => `${name} ist beendet.`,
    dismiss: (name: string) => `Hinweis zu ${name} ausblenden`,
  },

  /** Der Hinweis unter einer Aktion, wenn ihr Auftrag beendet ist; er verweist auf den Verlauf. */
  notice: {
    finished: {
      successful: (name: string) => `${name} ist erfolgreich abgeschlossen.`,
      failed: (name: string) => `${name} ist fehlgeschlagen.`,
      canceled: (name: string) => `${name} wurde abgebrochen.`,
    },
    openInHistory: 'Im Verlauf ansehen',
    backup: (name: string) => `Das Backup „${name}“`,
  },

  scope: {
    full: 'Vollständig',
    web: 'Web',
    databases: 'Datenbanken',
    email: 'E-Mail',
    ssl: 'SSL',
    config: 'Konfiguration',
  },

  scopeDescription: {
    full: 'Webdateien, Datenbanken, E-Mail, SSL und Konfiguration',
    web: 'Nur Webdateien (Webspace)',
    databases: 'Nur MariaDB-Datenbanken',
    email: 'Nur E-Mail-Postfächer (Maildir und Sieve)',
    ssl: 'Nur SSL-Zertifikate',
    config: 'Nginx- und PHP-FPM-Konfiguration',
  },

  content: {
    web: 'Webdateien',
    db: 'Datenbanken',
    mail: 'E-Mail',
    ssl: 'SSL',
    config: 'Konfiguration',
  },

  frequency: {
    hourly: 'Stündlich',
    daily: 'Täglich',
    weekly: 'Wöchentlich',
    monthly: 'Monatlich',
  },

  frequencyDescription: {
    hourly: 'Jede Stunde',
    daily: 'Einmal am Tag zur eingestellten Uhrzeit',
    weekly: 'Einmal pro Woche am eingestellten Tag',
    monthly: 'Einmal im Monat am eingestellten Tag',
  },

  weekdays: ['Sonntag', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag'],
  weekdaysPlural: [
    'sonntags',
    'montags',
    'dienstags',
    'mittwochs',
    'donnerstags',
    'freitags',
    'samstags',
  ],

  when: {
    hourly: (minute: string) => `Stündlich zur Minute ${minute}`,
    daily: (hour: string) => `Täglich um ${hour} UTC`,
    weekly: (day: string, hour: string) =>
      `${day.charAt(0).toUpperCase()}${day.slice(1)} um ${hour} UTC`,
    monthly: (day: number, hour: string) => `Monatlich am ${day}. um ${hour} UTC`,
    local: (text: string) => `für Sie: ${text}`,
    localWeekly: (day: string, time: string) => `${day} um ${time}`,
    localMonthly: (shift: number, day: number, time: string) =>
      shift < 0
        ? `am Vortag um ${time}`
        : shift > 0
          ? `am Folgetag um ${time}`
          : `am ${day}. um ${time}`,
  },

  jobStatus: {
    pending: 'Wartet',
    running: 'Läuft',
    successful: 'Erfolgreich',
    failed: 'Fehlgeschlagen',
    canceled: 'Abgebrochen',
  },

  target: {
    local: 'Lokal',
    s3: 'S3',
    ftp: 'FTP',
    localSummary: 'Lokal',
    s3Summary: (bucket: string) => `S3: ${bucket}`,
    ftpSummary: (host: string) => `FTP: ${host}`,
    vault: 'Tresor',
    vaultSummary: (address: string) => `Tresor: ${address}`,
  },

  schedules: {
    new: 'Neuer Zeitplan',
    packageLimits: (frequencies: string, retention: string, schedules: string) =>
      `Ihr Paket erlaubt Backups ${frequencies}, ${retention} und ${schedules}.`,
    unlimitedRetention: 'beliebig viele Snapshots pro Zeitplan',
    retentionLimit: (n: number) => `bis zu ${n1(n, 'Snapshot', 'Snapshots')} pro Zeitplan`,
    unlimitedSchedules: 'beliebig viele Zeitpläne',
    schedulesLimit: (n: number) => `bis zu ${n1(n, 'Zeitplan', 'Zeitpläne')}`,
    noPackage: 'Ihr Hosting-Paket enthält keine Backups.',
    atLimit: (n: number) =>
      `Sie haben ${n} von ${n} Zeitplänen, so viele wie Ihr Paket erlaubt. Für einen weiteren löschen oder ändern Sie einen bestehenden Zeitplan oder fragen Sie Ihren Hosting-Anbieter nach einem größeren Paket.`,
    packageFailed: (message: string) =>
      `Die Grenzen Ihres Pakets konnten nicht geladen werden: ${message}`,
    timeZoneRule: (zone: string) =>
      `Zeitpläne laufen nach UTC (koordinierte Weltzeit); alle anderen Zeiten zeigt diese Seite in Ihrer Zeitzone (${zone}).`,
    columns: {
      name: 'Name',
      scope: 'Umfang',
      when: 'Häufigkeit',
      retention: 'Aufbewahrung',
      target: 'Ziel',
      nextRun: 'Nächste Ausführung',
      lastResult: 'Letztes Ergebnis',
      actions: 'Aktionen',
    },
    retention: (n: number) => `${n} behalten`,
    paused: 'Pausiert',
    overdue: 'Überfällig',
    copyTo: (target: string, keep: number) =>
      `Zweitkopie: ${target}, behält ${keep} Snapshot${keep === 1 ? '' : 's'}`,
    copyFailed: 'Letzte Kopie fehlgeschlagen',
    lastCopy: (when: string) => `Letzte Kopie: ${when}`,
    neverRun: 'Noch nicht ausgeführt',
    runNow: 'Jetzt ausführen',
    runNowLabel: (name: string) => `Jetzt ausführen: ${name}`,
    runStarted: (name: string) =>
      `Das Backup von „${name}“ wurde gestartet. Den Fortschritt sehen Sie oben.`,
    alreadyRunning: (name: string) => `„${name}“ läuft bereits.`,
    runFailed: (message: string) => `Das Backup konnte nicht gestartet werden: ${message}`,
    edit: (name: string) => `${name} bearbeiten`,
    remove: (name: string) => `${name} löschen`,
    emptyTitle: 'Noch keine Backup-Zeitpläne',
    emptyText:
      'Legen Sie einen Zeitplan an, dann wird Ihre Website automatisch gesichert. Mit „Jetzt ausführen“ können Sie jederzeit auch ein Backup von Hand starten.',
    loadFailed: (message: string) => `Ihre Zeitpläne konnten nicht geladen werden: ${message}`,
    saved: (name: string) => `„${name}“ ist gespeichert.`,
    created: (name: string) => `„${name}“ ist angelegt.`,
    deleted: (name: string) => `„${name}“ ist gelöscht.`,
  },

  scheduleForm: {
    newTitle: 'Neuer Backup-Zeitplan',
    editTitle: (name: string) => `${name} bearbeiten`,
    name: 'Name',
    nameDescription: 'Ein Name für diesen Backup-Zeitplan',
    scope: 'Umfang',
    scopeDescription: 'Was gesichert werden soll',
    frequency: 'Häufigkeit',
    frequencyDescription: 'Wie oft Backups laufen',
    notInPackage: (label: string) => `${label} (nicht in Ihrem Paket)`,
    hour: 'Stunde (UTC)',
    hourDescription: (local: string) =>
      `Backups starten in dieser Stunde nach UTC (bei Ihnen: ${local}), zu einer Minute, die für Ihr Konto festgelegt ist, damit nicht alle Backups gleichzeitig starten; „Nächste Ausführung“ zeigt sie.`,
    hourUnused:
      'Nicht verwendet: Stündliche Backups laufen jede Stunde, zu einer Minute, die für Ihr Konto festgelegt ist; „Nächste Ausführung“ zeigt sie.',
    day: 'Tag',
    weekday: 'Wochentag (UTC)',
    monthDay: 'Tag im Monat (UTC)',
    monthDayDescription: 'In kürzeren Monaten läuft das Backup am letzten Tag.',
    retention: 'Aufbewahrung',
    retentionDescription: (max: number | null) =>
      max === null
        ? 'Anzahl der Snapshots, die behalten werden'
        : `Anzahl der Snapshots, die behalten werden (höchstens ${max} in Ihrem Paket)`,
    target: 'Ziel',
    targetDescription: 'Wo die Backups gespeichert werden',
    localHint:
      'Gespeichert im Backup-Speicher Ihres Hosting-Anbieters. Verschlüsselt; nur Sie und Ihr Anbieter können es wiederherstellen.',
    localPath: 'Verzeichnis auf dem Server',
    s3: {
      endpoint: 'Endpunkt',
      endpointPlaceholder: 'https://s3.example.com',
      region: 'Region',
      bucket: 'Bucket',
      prefix: 'Verzeichnis im Bucket',
      accessKeyId: 'Access Key',
      secretAccessKey: 'Secret Key',
      pathStyle: 'URLs im Path-Style (MinIO, Ceph und die meisten selbst betriebenen Speicher)',
    },
    ftp: {
      host: 'FTP-Server',
      port: 'Port',
      user: 'Benutzername',
      password: 'Passwort',
      baseDir: 'Verzeichnis',
      explicitTls: 'Mit TLS verschlüsseln (FTPS, explizit)',
      connections: 'Gleichzeitige Verbindungen',
    },
    vault: {
      url: 'Adresse des Tresors',
      urlPlaceholder: 'https://vault.example.com:8421',
      user: 'Tresor-Benutzer (der Name dieses Servers beim Tresor)',
      password: 'Tresor-Passwort',
      caCert: 'CA-Zertifikat des Tresors (PEM)',
      hint: 'Der Tresor bewahrt die Backups nur anhängend auf: Dieser Server kann hinzufügen und lesen, nie löschen. Aufbewahrung, Prune und Prüfung laufen auf dem Tresor.',
      customerHint:
        'Ihre Backups gehen in den Tresor Ihres Anbieters, wo dieser Server sie nicht löschen kann.',
    },
    secretKept: 'Leer lassen, um den gespeicherten Wert zu behalten.',
    passwordAgain: 'Geben Sie das Passwort für den neuen Server erneut ein.',
    secretKeyAgain: 'Geben Sie den Secret Key für den neuen Server erneut ein.',
    testConnection: 'Verbindung testen',
    testOk: 'Die Verbindung funktioniert:',
    testFailed: (step: string, message: string) =>
      `Der Test ist bei „${step}“ fehlgeschlagen: ${message}`,
    testError: (message: string) => `Die Verbindung konnte nicht getestet werden: ${message}`,
    steps: {
      reach: 'Server erreichen',
      authenticate: 'anmelden',
      write: 'schreiben',
      delete: 'löschen',
    },
    copy: {
      legend: 'Zweitkopie',
      description:
        'Jede neue Sicherung wird zusätzlich an einen zweiten Ort kopiert, damit ein verlorenes Ziel keine Sicherung kostet. Wiederherstellen geht aus beiden.',
      target: 'Zweitkopie nach',
      none: 'Keine Zweitkopie',
      providerStorage: 'Sicherungsspeicher Ihres Anbieters',
      localPath: 'Verzeichnis auf dem Server für die Zweitkopie',
      retention: 'Snapshots, die die Zweitkopie behält',
      retentionDescription: (max: number | null) =>
        max === null
          ? 'Leer: so viele, wie dieser Zeitplan behält'
          : `Leer: so viele, wie dieser Zeitplan behält (höchstens ${max} in Ihrem Paket)`,
    },
    enabled: 'Nach diesem Zeitplan automatisch ausführen',
    create: 'Anlegen',
    save: 'Speichern',
  },

  deleteSchedule: {
    title: (name: string) => `${name} löschen?`,
    text: 'Der Zeitplan endet. Seine Einträge im Verlauf bleiben erhalten.',
    keep: 'Seine Snapshots im Backup-Speicher behalten',
    forget: 'Auch seine Snapshots löschen (kann nicht rückgängig gemacht werden)',
    snapshots: 'Snapshots dieses Zeitplans',
    confirm: 'Zeitplan löschen',
    failed: (message: string) => `Der Zeitplan konnte nicht gelöscht werden: ${message}`,
  },

  history: {
    columns: { started: 'Gestartet', schedule: 'Zeitplan', status: 'Status', details: 'Details' },
    details: (name: string) => `Details zu ${name}`,
    notStarted: 'Noch nicht gestartet',
    deleteOld: 'Alte Einträge löschen',
    deleteOldTitle: 'Alte Einträge löschen',
    deleteOldCount: (n: number, days: number) =>
      `${n1(n, 'beendeter Eintrag ist', 'beendete Einträge sind')} älter als ${days} Tage. ${n === 1 ? 'Diesen' : 'Diese'} löschen? Laufende und wartende Aufträge bleiben erhalten.`,
    deleteOldNone: (days: number) =>
      `Es gibt keine beendeten Einträge, die älter als ${days} Tage sind.`,
    deleteOldConfirm: (n: number) => `${n1(n, 'Eintrag', 'Einträge')} löschen`,
    deleteOldDone: (n: number) =>
      `${n1(n, 'alter Eintrag wurde', 'alte Einträge wurden')} gelöscht.`,
    deleteOldFailed: (message: string) => `Alte Einträge konnten nicht gelöscht werden: ${message}`,
    emptyTitle: 'Noch keine Aufträge',
    emptyText: 'Backups und Wiederherstellungen erscheinen hier, sobald sie starten.',
    loadFailed: (message: string) => `Der Verlauf konnte nicht geladen werden: ${message}`,
    failedHint:
      'Wenn ein Backup fehlschlägt, prüfen Sie zuerst Ihren Speicherplatz (Disk-Quota). Schlägt es wiederholt fehl, wenden Sie sich an Ihren Hosting-Anbieter.',
    restoreOf: (what: string) => `Wiederherstellung: ${what}`,
    page: (from: number, to: number, total: number) => `${from}–${to} von ${total}`,
    pageOfMore: (from: number, to: number, total: number) => `${from}–${to} von mehr als ${total}`,
    pages: 'Seiten des Verlaufs',
    flagged: 'Massenänderung',
    flaggedHint:
      'Dieses Backup hat ungewöhnlich viele Dateien auf einmal geändert, gelöscht oder verschlüsselt vorgefunden. Wenn Sie diese Änderungen nicht vorgenommen haben, stellen Sie einen Snapshot von davor wieder her: Diese sind 30 Tage lang gesperrt. Das Protokoll nennt, was gefunden wurde.',
  },

  job: {
    title: (id: number) => `Auftrag ${id}`,
    type: 'Art',
    status: 'Status',
    schedule: 'Zeitplan',
    start: 'Beginn',
    end: 'Ende',
    duration: 'Dauer',
    dataSize: 'Datenmenge',
    added: 'Neu im Speicher',
    addedMore:
      'Mehr als die Datenmenge: Jedes Backup speichert auch eigene Verzeichnisse (Ordnerlisten und Dateiangaben), die bei einem kleinen oder neuen Backup mit kaum komprimierbaren Daten ins Gewicht fallen.',
    snapshotId: 'Snapshot-ID',
    trigger: 'Gestartet durch',
    triggers: {
      schedule: 'Zeitplan',
      manual: 'Jetzt ausführen',
      system: 'System',
    },
    restoreTriggers: {
      manual: 'Von Hand',
      system: 'System',
    },
    restored: 'Stellt wieder her',
    fromSnapshot: 'Aus Snapshot',
    noLog: 'Noch keine Protokollzeilen.',
    error: 'Fehlermeldung',
    loadFailed: (message: string) => `Dieser Auftrag konnte nicht geladen werden: ${message}`,
  },

  /** Die Schritte eines Auftrags, wie der Kunde sie liest (API `steps`, nach Code). */
  jobLog: {
    title: 'Was geschah',
    times: (zone: string) => `Zeiten in Ihrer Zeitzone (${zone}).`,
    rawTitle: 'Rohprotokoll (für den Anbieter)',
    rawTimes: 'Zeiten im Rohprotokoll sind in UTC.',
    started: (type: string) => `${type} gestartet`,
    finished: (type: string) => `${type} erfolgreich abgeschlossen`,
    failed: (type: string, error: string) => `${type} fehlgeschlagen: ${error}`,
    canceled: (type: string) => `${type} wurde abgebrochen`,
    dumping: (count: number, names: string) =>
      `${count === 1 ? 'Eine Datenbank wird' : `${count} Datenbanken werden`} gesichert: ${names}`,
    parent:
      'Dateien, die sich seit dem letzten Backup nicht geändert haben, werden nicht erneut gelesen.',
    summary: (
      files: number,
      size: string,
      added: string,
      filesNew: number,
      filesChanged: number,
      unchanged: number,
      took: string,
    ) =>
      `${files} Dateien (${size}): ${filesNew} neu, ${filesChanged} geändert, ${unchanged} unverändert. Dem Backup-Speicher hinzugefügt: ${added}, in ${took}.`,
    unreadable: (count: number) =>
      `${count} ${count === 1 ? 'Datei konnte' : 'Dateien konnten'} nicht gelesen werden und ${count === 1 ? 'fehlt' : 'fehlen'} in diesem Backup.`,
    retention: (count: number, keep: number) =>
      `${count} ${count === 1 ? 'alter Snapshot wurde' : 'alte Snapshots wurden'} entfernt; die neuesten ${keep} bleiben.`,
    restoreWeb: 'Ihre Web-Dateien werden wiederhergestellt',
    restoreFile: (path: string) => `${path} wird wiederhergestellt`,
    restoreDatabase: (name: string) => `Datenbank ${name} wird wiederhergestellt`,
    restoreMailbox: (address: string) => `Postfach ${address} wird wiederhergestellt`,
    safety: 'Vor dem Überschreiben wurde eine Kopie der aktuellen Daten gesichert.',
    undo: (restoreJobId: number) =>
      `Um diese Wiederherstellung rückgängig zu machen, wählen Sie auf dem Tab „Wiederherstellen“ die „Sicherheitskopie vor Wiederherstellung #${restoreJobId}“ und stellen Sie sie wieder her.`,
    partial: 'Die Wiederherstellung wurde mittendrin beendet.',
    recovered: (type: string) => `${type} beim Neustart des Dienstes abgeschlossen`,
    verified: (name: string, tables: number) =>
      `Datenbank ${name}: ${tables} ${tables === 1 ? 'Tabelle' : 'Tabellen'} geprüft, genau wie beim Backup.`,
    recoveredDatabase: (name: string) =>
      `Datenbank ${name} wurde beim Neustart des Dienstes vollständig wiederhergestellt.`,
    rolledBackDatabase: (name: string) =>
      `Datenbank ${name} blieb, wie sie vor der Wiederherstellung war.`,
  },

  restoreJob: {
    what: {
      web: 'Webdateien',
      databases: 'Datenbanken',
      email: 'E-Mails',
      everything: 'alles',
    },
    database: (name: string) => `Datenbank ${name}`,
    mailbox: (address: string) => `Postfach ${address}`,
    file: (name: string) => `die Datei ${name}`,
    name: (what: string, time: string) => `${what} wiederherstellen (Stand: ${time})`,
    nameWithoutTime: (what: string) => `${what} wiederherstellen`,
    undo: (restoreJobId: number) => `Wiederherstellung #${restoreJobId} rückgängig machen`,
  },

  restoreTab: {
    schedule: 'Backup-Zeitplan',
    schedulePlaceholder: 'Zeitplan wählen',
    noSchedules: 'Sie haben noch keine Backup-Zeitpläne, daher gibt es nichts wiederherzustellen.',
    load: 'Snapshots laden',
    columns: { time: 'Datum & Uhrzeit', contents: 'Inhalt', size: 'Größe', actions: 'Aktionen' },
    browse: 'Dateien durchsuchen',
    browseLabel: (time: string) => `Dateien des Snapshots (${time}) durchsuchen`,
    restore: 'Wiederherstellen',
    restoreLabel: (time: string) => `Aus dem Snapshot (${time}) wiederherstellen`,
    emptyTitle: 'Noch keine Snapshots',
    emptyText: 'Dieser Zeitplan hat noch keine Snapshots. Führen Sie zuerst ein Backup aus.',
    chooseFirst: 'Wählen Sie einen Backup-Zeitplan und klicken Sie auf „Snapshots laden“.',
    loadFailed: (message: string) => `Die Snapshots konnten nicht geladen werden: ${message}`,
    started:
      'Die Wiederherstellung wurde gestartet und läuft im Hintergrund. Den Fortschritt sehen Sie oben im Banner.',
    safetyBadge: 'Sicherheitskopie',
    safetyLabel: (restoreJobId: number) =>
      `Sicherheitskopie vor Wiederherstellung #${restoreJobId}`,
    holds: (what: string) => `Enthält ${what}`,
    browseSafetyLabel: (restoreJobId: number) =>
      `Dateien der Sicherheitskopie vor Wiederherstellung #${restoreJobId} durchsuchen`,
    undo: (restoreJobId: number) => `Wiederherstellung #${restoreJobId} rückgängig machen`,
    keep: 'Behalten',
    kept: 'Behalten',
    keepLabel: (time: string) =>
      `Behalten: Der Snapshot vom ${time} wird nicht gelöscht, solange er behalten wird`,
    unkeepLabel: (time: string) =>
      `Behalten: Der Snapshot vom ${time} wird behalten; drücken, um ihn nicht mehr zu behalten`,
    keepFailed: (message: string) => `Der Snapshot konnte nicht behalten werden: ${message}`,
    holdBadge: { legal: 'Gesperrt', keep: 'Behalten', guard: 'Gesperrt nach Massenänderung' },
    holdUntil: (reason: string, time: string) => `${reason} – bis ${time}`,
    holdOpen: (reason: string) => `${reason} – bis zur Freigabe`,
    lastVerified: (time: string) => `Zuletzt geprüfte Wiederherstellung: ${time}`,
    neverVerified:
      'Zuletzt geprüfte Wiederherstellung: noch keine. Wiederherstellungsproben prüfen Ihre Backups regelmäßig.',
    verifiedBadge: (time: string) => `Geprüft ${time}`,
    copyBadge: 'Zweitkopie',
    copyTitle:
      'Dieser Snapshot ist die Kopie auf dem zweiten Ziel des Zeitplans; er lässt sich wie die erste Kopie wiederherstellen.',
  },

  undo: {
    title: (restoreJobId: number) => `Wiederherstellung #${restoreJobId} rückgängig machen`,
    putsBack: (restoreJobId: number, what: string, time: string) =>
      `Damit kommt zurück, was Wiederherstellung #${restoreJobId} überschrieben hat: ${what}, Stand: ${time}.`,
    overwrites: 'Änderungen seitdem werden überschrieben.',
    confirm: (restoreJobId: number) => `Wiederherstellung #${restoreJobId} jetzt rückgängig machen`,
  },

  restore: {
    title: (time: string) => `Wiederherstellen aus dem Snapshot (${time})`,
    choose: 'Was möchten Sie wiederherstellen?',
    options: {
      web: {
        title: 'Webdateien',
        text: 'Alle Dateien und Verzeichnisse in Ihrem Webspace.',
        overwrites:
          'Überschreibt Ihre aktuellen Webdateien; seitdem hinzugekommene Dateien werden entfernt.',
      },
      databases: {
        title: 'Datenbanken',
        text: 'Alle zugehörigen MariaDB-Datenbanken.',
        overwrites: 'Überschreibt den aktuellen Inhalt dieser Datenbanken.',
      },
      database: {
        title: 'Eine Datenbank',
        text: 'Eine einzelne MariaDB-Datenbank Ihrer Wahl.',
        overwrites: 'Überschreibt nur den aktuellen Inhalt dieser Datenbank.',
      },
      mailbox: {
        title: 'Ein Postfach',
        text: 'Die E-Mails und Postfachdaten einer Adresse.',
        overwrites: 'Überschreibt nur dieses Postfach; seitdem empfangene Nachrichten bleiben.',
      },
      email: {
        title: 'E-Mail-Daten',
        text: 'Alle E-Mails und Postfachdaten.',
        overwrites: 'Überschreibt Ihre Postfächer; seitdem empfangene Nachrichten bleiben.',
      },
      everything: {
        title: 'Alles wiederherstellen',
        text: 'Alles oben Genannte, dazu SSL-Zertifikate und Konfiguration.',
        overwrites: 'Überschreibt alle Ihre aktuellen Daten.',
      },
      file: {
        title: 'Einzelne Datei',
        text: 'Eine einzelne Datei, zurück an ihren ursprünglichen Ort.',
        overwrites: 'Überschreibt nur diese Datei.',
      },
    },
    notInSnapshot: 'Nicht in diesem Snapshot',
    chooseDatabase: 'Datenbank',
    chooseMailbox: 'Postfach',
    noneToChoose: 'Sie haben keine',
    areasFailed: (message: string) =>
      `Ihre Datenbanken und Postfächer konnten nicht geladen werden: ${message}`,
    onlyFull: 'Nur aus vollständigen Backups',
    next: 'Weiter',
    confirmTitle: 'Wiederherstellung bestätigen',
    confirmWarning: (time: string) =>
      `Eine Wiederherstellung überschreibt die aktuellen Daten mit dem Stand des Snapshots (${time}). Alle Änderungen nach diesem Snapshot gehen verloren.`,
    safety: 'Bevor etwas überschrieben wird, legt der Dienst eine Kopie der aktuellen Daten an.',
    backupFirstHint: 'Legen Sie im Zweifel zuerst ein Backup von Hand an.',
    backupFirst: 'Zuerst jetzt ein Backup erstellen',
    backupStarted:
      'Das Backup wurde gestartet. Stellen Sie wieder her, wenn es fertig ist, oder gleich jetzt.',
    confirm: 'Jetzt wiederherstellen',
    failed: (message: string) => `Die Wiederherstellung konnte nicht gestartet werden: ${message}`,
    fileConfirm: (path: string) =>
      `${path} an den ursprünglichen Ort wiederherstellen? Die aktuelle Datei wird überschrieben; Änderungen seit dem Snapshot gehen verloren.`,
    fileStarted: (name: string) =>
      `${name} wird wiederhergestellt. Den Fortschritt sehen Sie oben im Banner.`,
  },

  restorePreview: {
    title: 'Was diese Wiederherstellung ändert',
    loading: 'Der Snapshot wird mit Ihren aktuellen Dateien verglichen …',
    failed: (message: string) =>
      `Was die Wiederherstellung ändert, konnte nicht ermittelt werden: ${message} Sie können trotzdem wiederherstellen.`,
    add: 'Hinzugefügt',
    change: 'Geändert',
    delete: 'Gelöscht',
    area: (label: string, add: number, change: number, del: number, unchanged: number) =>
      `${label}: ${add} hinzugefügt, ${change} geändert, ${del} gelöscht, ${unchanged} unverändert`,
    keepsNewer:
      'Hier wird nichts gelöscht: Nachrichten, die seit dem Snapshot eingegangen sind, bleiben erhalten.',
    deletedKept:
      'Gelöscht werden Dateien, die Sie jetzt haben, die aber nicht im Snapshot sind; sie bleiben in der Kopie, die vor der Wiederherstellung angelegt wird.',
    filters: 'Filter',
    databases: (names: string) => `Datenbanken, die vollständig ersetzt werden: ${names}`,
    none: 'Diese Liste ist leer.',
    nothing: 'Ihre aktuellen Daten entsprechen bereits diesem Snapshot.',
    range: (from: number, to: number, total: number) => `${from}–${to} von ${total}`,
    previous: 'Zurück',
    next: 'Weiter',
    size: (size: string) => `${size}`,
  },

  browse: {
    title: (time: string) => `Dateien des Snapshots (${time})`,
    safetyTitle: (restoreJobId: number) =>
      `Dateien der Sicherheitskopie vor Wiederherstellung #${restoreJobId}`,
    root: 'Snapshot',
    breadcrumbs: 'Ordnerpfad',
    columns: { name: 'Name', size: 'Größe', modified: 'Geändert', actions: 'Aktionen' },
    open: (name: string) => `Ordner ${name} öffnen`,
    restore: 'Wiederherstellen',
    restoreLabel: (name: string) => `${name} wiederherstellen`,
    download: 'Herunterladen',
    downloadLabel: (name: string) => `${name} herunterladen`,
    empty: 'Dieser Ordner ist leer.',
    loadFailed: (message: string) => `Dieser Ordner konnte nicht geöffnet werden: ${message}`,
    preparing: 'Der Snapshot wird geöffnet … Beim ersten Mal kann das einige Sekunden dauern.',
    more: (shown: number, total: number) => `${shown} von ${total} Einträgen werden angezeigt.`,
    showMore: 'Mehr anzeigen',
    pickHint: 'Wählen Sie eine Datei und klicken Sie daneben auf „Wiederherstellen“.',
    history: {
      button: 'Verlauf',
      label: (name: string) => `Verlauf von ${name}`,
      title: (name: string) => `Versionen von ${name}`,
      intro: (count: number) =>
        `Neueste zuerst, aus ${count === 1 ? 'dem einen Snapshot' : `den ${count} Snapshots`} dieses Zeitplans. Eine Version bleibt gleich, bis sich die Datei ändert.`,
      loading: 'Die Snapshots werden durchsucht …',
      failed: (message: string) => `Der Verlauf konnte nicht gelesen werden: ${message}`,
      backedUp: (time: string) => `Gesichert ${time}`,
      since: (count: number, since: string) =>
        count === 1 ? 'Nur in diesem Snapshot' : `In ${count} Snapshots, seit ${since}`,
      absent: (since: string, time: string) =>
        since === time
          ? `Nicht im Snapshot vom ${time}`
          : `Nicht in den Snapshots vom ${since} bis ${time}`,
      changes: 'Änderungen',
      changesLabel: (time: string) => `Änderungen in der Version, gesichert ${time}`,
      compareTitle: (older: string, newer: string) => `Änderungen von ${older} bis ${newer}`,
      summary: (added: number, removed: number) =>
        `${added} ${added === 1 ? 'Zeile' : 'Zeilen'} hinzugefügt, ${removed} entfernt.`,
      fromLine: (line: number) => `Ab Zeile ${line}`,
      same: 'Die beiden Versionen sind gleich.',
      binary:
        'Diese Datei ist kein Text: Ihre Versionen lassen sich nicht Zeile für Zeile vergleichen.',
      tooLarge:
        'Diese Datei ist zu groß für einen Vergleich hier: Laden Sie die beiden Versionen herunter.',
      tooDifferent:
        'Fast jede Zeile ist anders: Laden Sie die beiden Versionen herunter, um sie zu vergleichen.',
    },
    search: {
      label: 'In diesem Snapshot suchen',
      placeholder: 'Teil eines Datei- oder Ordnernamens',
      folder: 'Ordner',
      openFolder: (folder: string) => `Ordner ${folder} öffnen`,
      searching: 'Suche läuft …',
      none: (query: string) => `Kein Datei- oder Ordnername enthält „${query}“.`,
      found: (count: number) => (count === 1 ? '1 Treffer.' : `${count} Treffer.`),
      more: (count: number) =>
        `Die ersten ${count} Treffer werden angezeigt; geben Sie mehr vom Namen ein, um sie einzugrenzen.`,
      failed: (message: string) => `Die Suche hat nicht funktioniert: ${message}`,
    },
  },

  account: {
    changePassword: 'Passwort ändern',
    current: 'Aktuelles Passwort',
    next: 'Neues Passwort',
    repeat: 'Neues Passwort wiederholen',
    hint: 'Mindestens 12 Zeichen. Ihre anderen Sitzungen enden; diese bleibt angemeldet.',
    mismatch: 'Die beiden neuen Passwörter sind verschieden.',
    save: 'Passwort ändern',
    changed: 'Ihr Passwort wurde geändert.',
  },

  users: {
    intro:
      'Wer sich anmelden kann: Administratoren sehen alles, ein Kundenbenutzer nur die eigenen Backups.',
    newUser: 'Neuer Benutzer',
    columns: {
      name: 'Benutzername',
      role: 'Rolle',
      customer: 'Kunde',
      created: 'Angelegt',
      actions: 'Aktionen',
    },
    role: { admin: 'Administrator', customer: 'Kunde' },
    username: 'Benutzername',
    password: 'Passwort',
    passwordHint: 'Mindestens 12 Zeichen. Teilen Sie es dem Benutzer auf sicherem Weg mit.',
    customer: 'Kunde',
    create: 'Benutzer anlegen',
    created: (name: string) => `Der Benutzer ${name} wurde angelegt.`,
    resetPassword: 'Passwort setzen',
    resetLabel: (name: string) => `Passwort setzen für ${name}`,
    resetTitle: (name: string) => `Neues Passwort für ${name}`,
    resetHint: 'Seine Sitzungen enden; er meldet sich mit dem neuen Passwort an.',
    reset: (name: string) => `Das Passwort von ${name} wurde gesetzt.`,
    delete: 'Löschen',
    deleteLabel: (name: string) => `Benutzer ${name} löschen`,
    deleteTitle: (name: string) => `Benutzer ${name} löschen?`,
    deleteText:
      'Er kann sich nicht mehr anmelden; seine Sitzungen enden sofort. Backups bleiben unberührt.',
    deleted: (name: string) => `Der Benutzer ${name} wurde gelöscht.`,
    empty: 'Noch keine Benutzer.',
  },

  tokens: {
    intro:
      'Mit API-Tokens nutzt ein Hosting-Panel oder eine Überwachung die API. Jedes wird nur einmal angezeigt, beim Anlegen.',
    newToken: 'Neues API-Token',
    columns: {
      name: 'Name',
      for: 'Für',
      scope: 'Darf',
      created: 'Angelegt',
      lastUsed: 'Zuletzt benutzt',
      actions: 'Aktionen',
    },
    scope: { full: 'Lesen und ändern', read: 'Nur lesen' },
    scopeHint:
      'Nur lesen: für Dashboards und Überwachung; es kann nichts starten, ändern oder löschen.',
    name: 'Name',
    namePlaceholder: 'Hosting-Panel',
    role: 'Handelt als',
    allCustomers: 'Administrator (alle Kunden)',
    create: 'Token anlegen',
    shownOnce:
      'Kopieren Sie das Token jetzt: Es wird nur dieses eine Mal angezeigt. Senden Sie es als „Authorization: Bearer <Token>“.',
    copy: 'Kopieren',
    copied: 'Kopiert',
    done: 'Fertig',
    never: 'Nie',
    revoke: 'Widerrufen',
    revokeLabel: (name: string) => `Token ${name} widerrufen`,
    revokeTitle: (name: string) => `Token ${name} widerrufen?`,
    revokeText: 'Was es benutzt, wird ab sofort abgewiesen.',
    revoked: (name: string) => `Das Token ${name} wurde widerrufen.`,
    empty: 'Noch keine API-Tokens.',
  },

  admin: {
    tabs: {
      jobs: 'Alle Aufträge',
      schedules: 'Alle Zeitpläne',
      server: 'Serverweite Backups',
      packages: 'Pakete',
      targets: 'Ziele',
      keys: 'Repository-Schlüssel',
      customers: 'Kunden',
      users: 'Benutzer',
      tokens: 'API-Tokens',
      holds: 'Sperren',
      coverage: 'Abdeckung',
      servers: 'Server',
    },
    coverage: {
      intro:
        'Alle Kunden und wie gut sie geschützt sind: das letzte erfolgreiche Backup je Umfang, überfällige, fehlschlagende und unvollständige Zeitpläne, Bereiche ohne Zeitplan und die letzte Wiederherstellungsprobe, die ein Backup als wiederherstellbar bestätigt hat.',
      state: 'Anzeigen',
      allStates: 'Alle Kunden',
      sort: 'Sortieren nach',
      sorts: {
        state: 'Schlechteste zuerst',
        customer: 'Kunde',
        lastSuccess: 'Letztes Backup',
        lastVerified: 'Zuletzt geprüfte Wiederherstellung',
        size: 'Größe',
      },
      states: {
        failed: 'Fehlschlagend',
        overdue: 'Überfällig',
        unscheduled: 'Kein Zeitplan',
        partial: 'Unvollständig',
        uncovered: 'Bereiche ohne Zeitplan',
        unverified: 'Nicht geprüft',
        ok: 'OK',
      },
      count: (label: string, n: number) => `${label}: ${n}`,
      csv: 'CSV herunterladen',
      empty: 'Keine passenden Kunden.',
      never: 'Nie',
      scopeSuccess: (scope: string, time: string) => `${scope}: ${time}`,
      scheduleCounts: (all: number, overdue: number, failed: number, partial: number) =>
        [
          `${all} Zeitpl${all === 1 ? 'an' : 'äne'}`,
          overdue ? `${overdue} überfällig` : '',
          failed ? `${failed} fehlschlagend` : '',
          partial ? `${partial} unvollständig` : '',
        ]
          .filter(Boolean)
          .join(', '),
      columns: {
        customer: 'Kunde',
        state: 'Zustand',
        lastSuccess: 'Letztes erfolgreiches Backup',
        schedules: 'Zeitpläne',
        unscheduled: 'Ohne Zeitplan',
        lastVerified: 'Zuletzt geprüfte Wiederherstellung',
        size: 'Gespeichert',
      },
    },
    customer: 'Kunde',
    allCustomers: 'Alle Kunden',
    customerColumn: 'Kunde',
    serverWide: 'Server',
    allOfServer: 'Gesamter Server',
    serverIntro:
      'Serverweite Backups sichern alle Kunden (oder einen Kunden mit eigenen Einstellungen) in das eigene Repository des Servers. Kunden sehen sie nie.',
    newServerSchedule: 'Neuer serverweiter Zeitplan',
    hostingServer: 'Hosting-Server',
    hostingServerHint:
      'Nur die Kunden dieses Servers werden gesichert, auf seinem Agenten. Alle Server: jeder Kunde auf seinem eigenen Server.',
    everyServer: 'Alle Server',
    serverScheduleFor: 'Sichern',
    serverEmpty: 'Noch keine serverweiten Zeitpläne.',
    schedulesEmpty: 'Keine passenden Zeitpläne.',
    jobsEmpty: 'Keine passenden Aufträge.',
    packagesIntro: 'Was jedes Hosting-Paket seinen Kunden erlaubt.',
    packagesEmpty:
      'Es sind keine Pakete definiert. Das Hosting-Panel importiert sie mit dem Inventar.',
    customerForm: {
      intro:
        'Die Kunden des Hosting-Bestands. Meist hält das Panel sie aktuell (Import); ändern Sie einen hier, wenn nicht.',
      columns: {
        customer: 'Kunde',
        package: 'Paket',
        server: 'Server',
        areas: 'Bereiche',
        contact: 'Kontakt',
        actions: 'Aktionen',
      },
      areas: (dbs: number, boxes: number) =>
        `Web-Verzeichnis, ${dbs} ${dbs === 1 ? 'Datenbank' : 'Datenbanken'}, ${boxes} ${boxes === 1 ? 'Postfach' : 'Postfächer'}`,
      edit: 'Bearbeiten',
      editLabel: (name: string) => `Kunde ${name} bearbeiten`,
      editTitle: (name: string) => `Kunde ${name} bearbeiten`,
      delete: 'Löschen',
      deleteLabel: (name: string) => `Kunde ${name} löschen`,
      deleteTitle: (name: string) => `Kunde ${name} löschen?`,
      deleteText:
        'Nur der Eintrag wird gelöscht: Dateien, Backups, Zeitpläne und Anmeldungen bleiben, bis sie eigens entfernt werden.',
      name: 'Name',
      package: 'Paket',
      contact: 'Kontakt-E-Mail',
      contactHint:
        'Wird benachrichtigt, wenn der Massenänderungs-Wächter ein Backup markiert; darf leer bleiben.',
      webRoot: 'Web-Verzeichnis',
      databases: 'Datenbanken',
      databasesHint: 'Namen durch Kommas getrennt.',
      save: 'Kunde speichern',
      saved: (name: string) => `Der Kunde ${name} wurde gespeichert.`,
      deleted: (name: string) => `Der Kunde ${name} wurde gelöscht.`,
      empty: 'Noch keine Kunden.',
      move: 'Verschieben',
      moveLabel: (name: string) => `Kunde ${name} auf einen anderen Server verschieben`,
      moveTitle: (name: string) => `Kunde ${name} auf einen anderen Server verschieben`,
      moveFrom: (server: string) => `Jetzt auf Server ${server}.`,
      moveTo: 'Verschieben auf',
      moveToHint: 'Server, die online und nicht gesperrt sind.',
      moveNoServer: 'Kein anderer Server ist online, auf den dieser Kunde verschoben werden kann.',
      moveChoose: 'Wählen Sie den Server, auf den verschoben wird.',
      moveNext: 'Weiter',
      moveConfirmTitle: (name: string, server: string) => `${name} auf ${server} verschieben?`,
      moveConfirmText: (from: string, to: string) =>
        `Ab jetzt laufen seine Backups, Wiederherstellungen und das Durchsuchen auf dem Agenten von ${to}. Seine Repositories auf S3 oder FTP laufen weiter: seine Snapshots bleiben sichtbar, und das nächste Backup fügt nur Änderungen hinzu. Ein Zeitplan, der in ein Verzeichnis auf ${from} sichert, kann nicht mit; dann wird das Verschieben abgelehnt, bis sein Ziel S3 oder FTP ist. Die Dateien des Kunden müssen schon auf ${to} liegen; das Hosting-Panel verschiebt sie.`,
      moveSubmit: 'Verschieben',
      moved: (name: string, from: string, to: string) =>
        `Der Kunde ${name} wurde von ${from} nach ${to} verschoben.`,
    },
    packageForm: {
      newPackage: 'Neues Paket',
      edit: 'Bearbeiten',
      editLabel: (name: string) => `Paket ${name} bearbeiten`,
      editTitle: (name: string) => `Paket ${name} bearbeiten`,
      delete: 'Löschen',
      deleteLabel: (name: string) => `Paket ${name} löschen`,
      deleteTitle: (name: string) => `Paket ${name} löschen?`,
      deleteText: 'Nur ein Paket, das kein Kunde nutzt, kann gelöscht werden.',
      id: 'Paket-ID',
      idHint: 'Kleinbuchstaben, Ziffern, Bindestriche; sie lässt sich später nicht ändern.',
      name: 'Name',
      frequencies: 'Häufigkeiten, die Kunden wählen dürfen',
      maxRetention: 'Höchstens Snapshots je Zeitplan',
      maxSchedules: 'Höchstens Zeitpläne je Kunde',
      zeroUnlimited: '0: unbegrenzt',
      keepLimit: 'Snapshots, die ein Kunde behalten darf',
      save: 'Paket speichern',
      saved: (name: string) => `Das Paket ${name} wurde gespeichert.`,
      deleted: (name: string) => `Das Paket ${name} wurde gelöscht.`,
    },
    packageColumns: {
      name: 'Paket',
      frequencies: 'Häufigkeiten',
      retention: 'Max. Snapshots pro Zeitplan',
      schedules: 'Max. Zeitpläne',
      customers: 'Kunden',
    },
    unlimited: 'Unbegrenzt',
    keysIntro:
      'Jedes Repository ist mit einem eigenen Schlüssel verschlüsselt. Laden Sie die Schlüssel herunter und bewahren Sie sie sicher auf, nicht auf diesem Server.',
    keysWarning:
      'Ohne Schlüssel keine Wiederherstellung: Geht dieser Server verloren, lässt sich ein Repository nur mit seinem Schlüssel öffnen.',
    keyColumns: {
      owner: 'Eigentümer',
      target: 'Ziel',
      location: 'Ort',
      created: 'Angelegt',
    },
    downloadKey: 'Als Datei herunterladen',
    downloadKeyLabel: (owner: string) =>
      `Als Datei herunterladen: der Schlüssel des Repositorys von ${owner}`,
    keysEmpty:
      'Noch keine Repositorys. Sie entstehen mit dem ersten Backup auf das jeweilige Ziel.',
    targetsIntro:
      'Die Backup-Ziele der Zeitpläne, jeweils mit den Zeitplänen, Eigentümern und Repositorys darauf. „Verbindung testen“ verwendet die gespeicherten Zugangsdaten.',
    targetsEmpty: 'Noch keine Ziele. Sie erscheinen hier, sobald ein Zeitplan sie verwendet.',
    targetColumns: {
      kind: 'Art',
      location: 'Endpunkt, Host oder Pfad',
      container: 'Bucket oder Basisverzeichnis',
      uses: 'Zeitpläne und Repositorys',
    },
    targetUse: (schedule: string, owner: string) => `${schedule} (${owner})`,
    testTargetLabel: (location: string) => `Verbindung testen: ${location}`,
    editTarget: 'Bearbeiten',
    editTargetLabel: (schedule: string) => `Das Ziel von ${schedule} bearbeiten`,
    targetsEditHint:
      'Ein Ziel wird über einen Zeitplan bearbeitet, der es nutzt: ein neues Passwort oder ein neuer Schlüssel dort, oder ein anderer Ort für die Backups dieses Zeitplans.',
    loadFailed: (message: string) => `Diese Liste konnte nicht geladen werden: ${message}`,
    missingEndpoint: 'Dieser Server bietet das noch nicht an.',
    holdsIntro:
      'Snapshots, die Aufbewahrung und Löschen nicht entfernen: Ihre Sperren (Legal Hold), die Snapshots, die Kunden behalten, und die, die der Massenänderungs-Schutz nach einem verdächtigen Backup gesperrt hat. Eine Sperre setzen Sie mit „hostvault holds add“ oder über die API.',
    holdsEmpty: 'Kein Snapshot ist gesperrt.',
    holdColumns: {
      snapshot: 'Snapshot',
      customer: 'Kunde',
      kind: 'Art',
      reason: 'Grund',
      until: 'Bis',
    },
    holdKinds: {
      legal: 'Sperre des Anbieters',
      keep: 'Vom Kunden behalten',
      guard: 'Massenänderungs-Schutz',
    },
    holdForever: 'Bis zur Freigabe',
    release: 'Freigeben',
    releaseLabel: (snapshot: string) => `Sperre von Snapshot ${snapshot} freigeben`,
    releaseFailed: (message: string) => `Die Sperre konnte nicht freigegeben werden: ${message}`,
    servers: {
      intro:
        'Die Hosting-Server, deren Agenten die Backups und Wiederherstellungen ihrer Kunden ausführen. Ein Agent ist online, wenn er sich in den letzten 45 Sekunden gemeldet hat.',
      empty: 'Noch keine Server.',
      columns: {
        server: 'Server',
        state: 'Zustand',
        agent: 'Agent',
        lastSeen: 'Zuletzt gemeldet',
        versions: 'restic / MariaDB',
        free: 'Freier Speicher',
        jobs: 'Aufträge',
        actions: 'Aktionen',
      },
      state: {
        enrolled: 'Angemeldet',
        draining: 'Wird geleert',
        revoked: 'Gesperrt',
        awaiting: 'Wartet auf Anmeldung',
      },
      implicit: 'dieser Server',
      unsealed: 'Unversiegelt',
      unsealedHint:
        'Aufträge an diesen Agenten, Repository-Passwörter eingeschlossen, liegen unversiegelt in NATS: Er wurde angemeldet, bevor Aufträge versiegelt wurden (oder nie). Melden Sie ihn neu an.',
      online: 'Online',
      offline: 'Offline',
      jobs: (running: number, queued: number) => `${running} laufend, ${queued} wartend`,
      never: 'nie',
      drain: 'Leeren',
      drainLabel: (server: string) => `${server} leeren: dort keine neuen Aufträge starten`,
      undrain: 'Fortsetzen',
      undrainLabel: (server: string) => `${server} fortsetzen: Aufträge wieder starten`,
      revoke: 'Sperren',
      revokeLabel: (server: string) => `${server} sperren`,
      revokeConfirm: (server: string) =>
        `${server} sperren? Sein Agent wird sofort getrennt und kann sich erst nach einer neuen Anmeldung wieder verbinden.`,
      enrollTitle: 'Server anmelden',
      enrollName: 'Servername',
      enrollNameHint: 'Kleinbuchstaben, Ziffern, „-“ und „_“, wie der Hosting-Server heißt.',
      enrollSubmit: 'Anmelde-Token erstellen',
      tokenShownOnce: (server: string, expires: string) =>
        `Einmal-Token für ${server}, gültig bis ${expires}. Es wird nur jetzt angezeigt: auf diesem Server ausführen`,
      actionFailed: (message: string) => `Das hat nicht geklappt: ${message}`,
      recover: 'Wiederherstellen',
      recoverLabel: (server: string) => `${server} auf einem anderen Server wiederherstellen`,
      recoverIntro: (server: string) =>
        `Jeder Kunde von ${server} wird auf den gewählten Server verschoben und dort aus seinen S3- oder FTP-Sicherungen wiederhergestellt (der neueste Snapshot jedes Inhalts). Kunden, deren Zeitpläne in ein Verzeichnis auf ${server} sichern oder die keinen Snapshot haben, bleiben, wo sie sind.`,
      recoverTo: 'Wiederherstellen auf',
      recoverNoServer: 'Es gibt keinen anderen angemeldeten Server zum Wiederherstellen.',
      recoverSubmit: 'Wiederherstellen',
      recoverReport: (from: string, to: string) => `Wiederherstellung von ${from} auf ${to}`,
      recoverNoCustomers: 'Der Server hatte keine Kunden.',
      recoverQueued: (customer: string, jobs: string) =>
        `${customer}: verschoben; Wiederherstellungen eingereiht (Aufträge ${jobs}).`,
      recoverSkipped: (customer: string, reason: string) => `${customer}: übersprungen. ${reason}`,
      recoverNotQueued: (what: string, reason: string) => `Nicht eingereiht: ${what}. ${reason}`,
    },
  },

  units: {
    bytes: ['B', 'KB', 'MB', 'GB', 'TB'],
    seconds: (n: number) => `${n} s`,
    minutes: (m: number, s: number) => (s ? `${m} min ${s} s` : `${m} min`),
    hours: (h: number, m: number) => (m ? `${h} h ${m} min` : `${h} h`),
  },

  dates: {
    today: (time: string) => `Heute, ${time}`,
    yesterday: (time: string) => `Gestern, ${time}`,
    tomorrow: (time: string) => `Morgen, ${time}`,
  },

  language: {
    label: 'Sprache',
    de: 'Deutsch',
    en: 'English',
  },
};
