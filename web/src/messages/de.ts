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
    type: { backup: 'Backup', restore: 'Wiederherstellung', maintenance: 'Wartung' },
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

  when: {
    hourly: (minute: string) => `Stündlich zur Minute ${minute}`,
    daily: (hour: string) => `Täglich um ${hour} UTC`,
    weekly: (day: string, hour: string) => `Wöchentlich am ${day} um ${hour} UTC`,
    monthly: (day: number, hour: string) => `Monatlich am ${day}. um ${hour} UTC`,
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
      `Backups starten in dieser Stunde nach UTC (${local} Uhr bei Ihnen), zu einer Minute, die für Ihr Konto festgelegt ist, damit nicht alle Backups gleichzeitig starten; „Nächste Ausführung“ zeigt sie.`,
    weekday: 'Wochentag',
    monthDay: 'Tag im Monat',
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
    pages: 'Seiten des Verlaufs',
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
    log: 'Ausführungsprotokoll',
    logTimes: 'Zeiten im Protokoll sind in UTC.',
    noLog: 'Noch keine Protokollzeilen.',
    error: 'Fehlermeldung',
    loadFailed: (message: string) => `Dieser Auftrag konnte nicht geladen werden: ${message}`,
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
  },

  admin: {
    tabs: {
      jobs: 'Alle Aufträge',
      schedules: 'Alle Zeitpläne',
      server: 'Serverweite Backups',
      packages: 'Pakete',
      targets: 'Ziele',
      keys: 'Repository-Schlüssel',
    },
    customer: 'Kunde',
    allCustomers: 'Alle Kunden',
    customerColumn: 'Kunde',
    serverWide: 'Server',
    allOfServer: 'Gesamter Server',
    serverIntro:
      'Serverweite Backups sichern alle Kunden (oder einen Kunden mit eigenen Einstellungen) in das eigene Repository des Servers. Kunden sehen sie nie.',
    newServerSchedule: 'Neuer serverweiter Zeitplan',
    serverScheduleFor: 'Sichern',
    serverEmpty: 'Noch keine serverweiten Zeitpläne.',
    schedulesEmpty: 'Keine passenden Zeitpläne.',
    jobsEmpty: 'Keine passenden Aufträge.',
    packagesIntro: 'Was jedes Hosting-Paket seinen Kunden erlaubt.',
    packagesEmpty:
      'Es sind keine Pakete definiert. Das Hosting-Panel importiert sie mit dem Inventar.',
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
    loadFailed: (message: string) => `Diese Liste konnte nicht geladen werden: ${message}`,
    missingEndpoint: 'Dieser Server bietet das noch nicht an.',
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
