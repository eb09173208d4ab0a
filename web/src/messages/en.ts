/**
 * Every text of the web UI, in English. The German catalog (de.ts) implements the same `Messages`
 * type (web/src/messages/index.ts picks one), so no component holds a string of its own. Words follow
 * the customer documentation: schedule, scope, snapshot, restore, History.
 */
import { enErrors, type ErrorTexts } from './en-errors.js';

export const en = {
  /** BCP 47 tag for dates, times and numbers; the viewer's own time zone is always used. */
  locale: 'en-US',

  app: {
    title: 'Backups',
    adminTitle: 'Backups: admin area',
    signedInAs: (name: string) => `Signed in as ${name}`,
    signOut: 'Sign out',
    signOutFailed: 'Signing out failed. Please try again.',
    loading: 'Loading…',
    sessionFailed: 'The backup service is not answering. Please try again in a moment.',
    retry: 'Try again',
  },

  signIn: {
    title: 'Sign in to Backups',
    intro: 'Use the user name and password of your hosting account.',
    username: 'User name',
    password: 'Password',
    submit: 'Sign in',
    failed: 'Signing in failed.',
  },

  common: {
    cancel: 'Cancel',
    close: 'Close',
    /** The × of a dialog; not "Close", which some dialogs have as their own button. */
    closeDialog: 'Close dialog',
    save: 'Save',
    create: 'Create',
    delete: 'Delete',
    back: 'Back',
    never: 'Never',
    none: '—',
    loading: 'Loading…',
    tryAgain: 'Try again',
    required: 'Required',
    togglePassword: 'Show or hide the password',
    firstPage: 'First page',
    previousPage: 'Previous page',
    nextPage: 'Next page',
    lastPage: 'Last page',
    pageNumber: (n: number) => `Page ${n}`,
  },

  errors: {
    network: 'The backup service could not be reached. Check your connection and try again.',
    unexpected: (status: number) => `The backup service answered unexpectedly (HTTP ${status}).`,
    checkFields: 'Please check the highlighted fields.',
    signInAgain: 'Your session has ended. Please sign in again.',
    /** The API's refusals by their code (en-errors.ts); typed so every catalog has each code. */
    byCode: enErrors as ErrorTexts,
  },

  page: {
    intro:
      'Configure automatic backup schedules, start backups by hand, look at your snapshots and restore single files or whole parts of your website when you need to.',
    visibility:
      'You only see your own backup schedules. Server-wide backups that your hosting provider makes are managed in the admin area.',
    tabs: { schedules: 'Schedules', history: 'History', restore: 'Restore' },
  },

  banner: {
    title: 'Active tasks',
    pollFailed: (message: string) => `Active tasks could not be refreshed: ${message}`,
    type: { backup: 'Backup', restore: 'Restore', maintenance: 'Maintenance' },
    status: { running: 'Running', pending: 'Pending' },
    startedAt: (time: string) => `Started ${time}`,
    queuedAt: (time: string) => `Queued ${time}`,
    progress: (percent: string) => `${percent} %`,
    progressLabel: (name: string) => `Progress of ${name}`,
    eta: (left: string) => `about ${left} left`,
    waiting: 'Waiting for a free slot…',
    finishing: 'Saving to the backup storage…',
    cancel: 'Cancel',
    cancelLabel: (name: string) => `Cancel ${name}`,
    cancelFailed: (message: string) => `Could not cancel: ${message}`,
    unnamed: 'Job',
    /** Read out by screen readers when a task starts, changes state or ends (not on each percent). */
    announce: (type: string, name: string, status: string) => `${type} ${name}: ${status}`,
    allDone: 'No tasks are running now.',
  },

  scope: {
    full: 'Full',
    web: 'Web',
    databases: 'Databases',
    email: 'Email',
    ssl: 'SSL',
    config: 'Configuration',
  } as Record<string, string>,

  scopeDescription: {
    full: 'Web files, databases, mail, SSL and configuration',
    web: 'Web files only (webspace)',
    databases: 'MariaDB databases only',
    email: 'Email mailboxes only (Maildir and Sieve)',
    ssl: 'SSL certificates only',
    config: 'Nginx and PHP-FPM configuration',
  } as Record<string, string>,

  content: {
    web: 'Web files',
    db: 'Databases',
    mail: 'Email',
    ssl: 'SSL',
    config: 'Configuration',
  } as Record<string, string>,

  frequency: {
    hourly: 'Hourly',
    daily: 'Daily',
    weekly: 'Weekly',
    monthly: 'Monthly',
  } as Record<string, string>,

  frequencyDescription: {
    hourly: 'Every hour',
    daily: 'Once per day at the configured time',
    weekly: 'Once per week on the configured day',
    monthly: 'Once per month on the configured day',
  } as Record<string, string>,

  weekdays: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],

  when: {
    hourly: (minute: string) => `Every hour at minute ${minute}`,
    daily: (hour: string) => `Daily at ${hour} UTC`,
    weekly: (day: string, hour: string) => `Weekly on ${day} at ${hour} UTC`,
    monthly: (day: number, hour: string) => `Monthly on day ${day} at ${hour} UTC`,
  },

  jobStatus: {
    pending: 'Pending',
    running: 'Running',
    successful: 'Successful',
    failed: 'Failed',
    canceled: 'Canceled',
  } as Record<string, string>,

  target: {
    local: 'Local',
    s3: 'S3',
    ftp: 'FTP',
    localSummary: 'Local',
    s3Summary: (bucket: string) => `S3: ${bucket}`,
    ftpSummary: (host: string) => `FTP: ${host}`,
  },

  schedules: {
    new: 'New Schedule',
    packageLimits: (frequencies: string, retention: string, schedules: string) =>
      `Your package allows ${frequencies} backups, ${retention} and ${schedules}.`,
    unlimitedRetention: 'any number of snapshots per schedule',
    retentionLimit: (n: number) => `up to ${n} snapshot${n === 1 ? '' : 's'} per schedule`,
    unlimitedSchedules: 'any number of schedules',
    schedulesLimit: (n: number) => `up to ${n} schedule${n === 1 ? '' : 's'}`,
    noPackage: 'Your hosting package does not include backups.',
    packageFailed: (message: string) => `Your package limits could not be loaded: ${message}`,
    /** The one rule for time zones, stated once above the schedules. */
    timeZoneRule: (zone: string) =>
      `Schedules run in UTC (Coordinated Universal Time); every other time on this page is in your time zone (${zone}).`,
    columns: {
      name: 'Name',
      scope: 'Scope',
      when: 'Frequency',
      retention: 'Retention',
      target: 'Target',
      nextRun: 'Next run',
      lastResult: 'Last result',
      actions: 'Actions',
    },
    retention: (n: number) => `Keep ${n}`,
    paused: 'Paused',
    overdue: 'Overdue',
    neverRun: 'Not run yet',
    runNow: 'Run now',
    runNowLabel: (name: string) => `Run now: ${name}`,
    runStarted: (name: string) => `The backup of "${name}" has started. Its progress shows above.`,
    alreadyRunning: (name: string) => `"${name}" is already running.`,
    runFailed: (message: string) => `The backup could not be started: ${message}`,
    edit: (name: string) => `Edit ${name}`,
    remove: (name: string) => `Delete ${name}`,
    emptyTitle: 'No backup schedules yet',
    emptyText:
      'Create a schedule and your website is backed up automatically. You can also start a backup at any time with Run now.',
    loadFailed: (message: string) => `Your schedules could not be loaded: ${message}`,
    saved: (name: string) => `"${name}" is saved.`,
    created: (name: string) => `"${name}" is created.`,
    deleted: (name: string) => `"${name}" is deleted.`,
  },

  scheduleForm: {
    newTitle: 'New backup schedule',
    editTitle: (name: string) => `Edit ${name}`,
    name: 'Name',
    nameDescription: 'A name for this backup schedule',
    scope: 'Scope',
    scopeDescription: 'What should be backed up',
    frequency: 'Frequency',
    frequencyDescription: 'How often backups run',
    notInPackage: (label: string) => `${label} (not in your package)`,
    hour: 'Hour (UTC)',
    hourDescription: (local: string) =>
      `Backups start within this hour in UTC (${local} your time), at a minute set for your account so that not every backup starts at once; "Next run" shows it.`,
    weekday: 'Day of the week',
    monthDay: 'Day of the month',
    monthDayDescription: 'In shorter months the backup runs on the last day.',
    retention: 'Retention',
    retentionDescription: (max: number | null) =>
      max === null
        ? 'Number of snapshots to keep'
        : `Number of snapshots to keep (at most ${max} in your package)`,
    target: 'Target',
    targetDescription: 'Where the backups are stored',
    localHint:
      'Stored on your hosting provider’s backup storage. Encrypted; only you and your provider can restore it.',
    localPath: 'Directory on the server',
    s3: {
      endpoint: 'Endpoint',
      endpointPlaceholder: 'https://s3.example.com',
      region: 'Region',
      bucket: 'Bucket',
      prefix: 'Directory in the bucket',
      accessKeyId: 'Access key',
      secretAccessKey: 'Secret key',
      pathStyle: 'Path-style URLs (MinIO, Ceph and most self-hosted stores)',
    },
    ftp: {
      host: 'FTP server',
      port: 'Port',
      user: 'User name',
      password: 'Password',
      baseDir: 'Directory',
      explicitTls: 'Encrypt with TLS (FTPS, explicit)',
      connections: 'Connections at once',
    },
    secretKept: 'Leave unchanged to keep the stored one.',
    /** The server or login changed: the stored secret is not sent to it. */
    passwordAgain: 'Enter the password again for the new server.',
    secretKeyAgain: 'Enter the secret key again for the new server.',
    testConnection: 'Test connection',
    testOk: 'The connection works:',
    testFailed: (step: string, message: string) => `The test failed at “${step}”: ${message}`,
    testError: (message: string) => `The connection could not be tested: ${message}`,
    steps: {
      reach: 'reach the server',
      authenticate: 'sign in',
      write: 'write',
      delete: 'delete',
    } as Record<string, string>,
    enabled: 'Run automatically on this schedule',
    create: 'Create',
    save: 'Save',
  },

  deleteSchedule: {
    title: (name: string) => `Delete ${name}?`,
    text: 'The schedule stops. Its entries in History stay.',
    keep: 'Keep its snapshots in the backup storage',
    forget: 'Delete its snapshots as well (cannot be undone)',
    snapshots: 'Snapshots of this schedule',
    confirm: 'Delete schedule',
    failed: (message: string) => `The schedule could not be deleted: ${message}`,
  },

  history: {
    columns: { started: 'Started', schedule: 'Schedule', status: 'Status', details: 'Details' },
    details: (name: string) => `Details of ${name}`,
    notStarted: 'Not started yet',
    deleteOld: 'Delete old entries',
    deleteOldTitle: 'Delete old entries',
    deleteOldCount: (n: number, days: number) =>
      `${n} finished ${n === 1 ? 'entry is' : 'entries are'} older than ${days} days. Delete ${n === 1 ? 'it' : 'them'}? Running and pending jobs are kept.`,
    deleteOldNone: (days: number) => `There are no finished entries older than ${days} days.`,
    deleteOldConfirm: (n: number) => `Delete ${n} ${n === 1 ? 'entry' : 'entries'}`,
    deleteOldDone: (n: number) => `${n} old ${n === 1 ? 'entry was' : 'entries were'} deleted.`,
    deleteOldFailed: (message: string) => `Old entries could not be deleted: ${message}`,
    emptyTitle: 'No jobs yet',
    emptyText: 'Backups and restores appear here as soon as they start.',
    loadFailed: (message: string) => `The history could not be loaded: ${message}`,
    failedHint:
      'If a backup fails, first check your disk space (disk quota). If it keeps failing, contact your hosting provider.',
    restoreOf: (what: string) => `Restore: ${what}`,
    page: (from: number, to: number, total: number) => `${from}–${to} of ${total}`,
    pages: 'History pages',
  },

  job: {
    title: (id: number) => `Job ${id}`,
    type: 'Type',
    status: 'Status',
    schedule: 'Schedule',
    start: 'Start',
    end: 'End',
    duration: 'Duration',
    dataSize: 'Data size',
    added: 'Added to storage',
    snapshotId: 'Snapshot ID',
    trigger: 'Started by',
    triggers: {
      schedule: 'Schedule',
      manual: 'Run now',
      system: 'System',
    } as Record<string, string>,
    /** Restores have no Run now: someone asked for one on the Restore tab or the command line. */
    restoreTriggers: {
      manual: 'By hand',
      system: 'System',
    } as Record<string, string>,
    restored: 'Restores',
    fromSnapshot: 'From snapshot',
    log: 'Execution log',
    logTimes: 'Times in the log are in UTC.',
    noLog: 'No log lines yet.',
    error: 'Error message',
    loadFailed: (message: string) => `This job could not be loaded: ${message}`,
  },

  /** How History and the banner name a restore job. */
  restoreJob: {
    what: {
      web: 'web files',
      databases: 'databases',
      email: 'email',
      everything: 'everything',
    } as Record<string, string>,
    database: (name: string) => `database ${name}`,
    mailbox: (address: string) => `mailbox ${address}`,
    file: (name: string) => `the file ${name}`,
    name: (what: string, time: string) => `Restore ${what} from ${time}`,
    nameWithoutTime: (what: string) => `Restore ${what}`,
    undo: (restoreJobId: number) => `Undo restore #${restoreJobId}`,
  },

  restoreTab: {
    schedule: 'Backup schedule',
    schedulePlaceholder: 'Choose a schedule',
    noSchedules: 'You have no backup schedules yet, so there is nothing to restore.',
    load: 'Load Snapshots',
    columns: { time: 'Date & time', contents: 'Contents', size: 'Size', actions: 'Actions' },
    browse: 'Browse Files',
    browseLabel: (time: string) => `Browse files of the snapshot from ${time}`,
    restore: 'Restore',
    restoreLabel: (time: string) => `Restore from the snapshot from ${time}`,
    emptyTitle: 'No snapshots yet',
    emptyText: 'This schedule has no snapshots yet. Run a backup first.',
    chooseFirst: 'Choose a backup schedule and click Load Snapshots.',
    loadFailed: (message: string) => `The snapshots could not be loaded: ${message}`,
    started:
      'The restore has started and runs in the background. Its progress shows in the banner above.',
    safetyBadge: 'Safety copy',
    safetyLabel: (restoreJobId: number) => `Safety copy before restore #${restoreJobId}`,
    holds: (what: string) => `Holds ${what}`,
    browseSafetyLabel: (restoreJobId: number) =>
      `Browse files of the safety copy before restore #${restoreJobId}`,
    undo: (restoreJobId: number) => `Undo restore #${restoreJobId}`,
  },

  /** Restoring a safety copy: it puts back exactly what one restore overwrote. */
  undo: {
    title: (restoreJobId: number) => `Undo restore #${restoreJobId}`,
    putsBack: (restoreJobId: number, what: string, time: string) =>
      `This puts back what restore #${restoreJobId} overwrote: ${what}, as saved at ${time}.`,
    overwrites: 'Changes made since then are overwritten.',
    confirm: (restoreJobId: number) => `Undo restore #${restoreJobId} now`,
  },

  restore: {
    title: (time: string) => `Restore from ${time}`,
    choose: 'What do you want to restore?',
    options: {
      web: {
        title: 'Web files',
        text: 'All files and directories in your webspace.',
        overwrites: 'Overwrites your current web files; files added since are removed.',
      },
      databases: {
        title: 'Databases',
        text: 'All associated MariaDB databases.',
        overwrites: 'Overwrites the current content of these databases.',
      },
      database: {
        title: 'One database',
        text: 'A single MariaDB database of your choice.',
        overwrites: 'Overwrites the current content of that database only.',
      },
      mailbox: {
        title: 'One mailbox',
        text: 'The emails and mailbox data of one address.',
        overwrites: 'Overwrites that mailbox only; messages received since are kept.',
      },
      email: {
        title: 'Email data',
        text: 'All emails and mailbox data.',
        overwrites: 'Overwrites your mailboxes; messages received since are kept.',
      },
      everything: {
        title: 'Restore everything',
        text: 'All of the above, plus SSL certificates and configuration.',
        overwrites: 'Overwrites all of your current data.',
      },
      file: {
        title: 'Single file',
        text: 'A single file, back to its original location.',
        overwrites: 'Overwrites only that file.',
      },
    },
    notInSnapshot: 'Not in this snapshot',
    chooseDatabase: 'Database',
    chooseMailbox: 'Mailbox',
    noneToChoose: 'You have none',
    areasFailed: (message: string) =>
      `Your databases and mailboxes could not be loaded: ${message}`,
    onlyFull: 'Only from Full backups',
    next: 'Next',
    confirmTitle: 'Confirm the restore',
    confirmWarning: (time: string) =>
      `A restore overwrites the current data with the state of ${time}. Any changes made after this snapshot will be lost.`,
    safety: 'Before it overwrites anything, the service keeps a copy of the current data.',
    backupFirstHint: 'When in doubt, create a manual backup first.',
    backupFirst: 'Back up now first',
    backupStarted: 'The backup has started. Restore when it has finished, or now.',
    confirm: 'Restore now',
    failed: (message: string) => `The restore could not be started: ${message}`,
    fileConfirm: (path: string) =>
      `Restore ${path} to its original location? The current file is overwritten; changes made since the snapshot are lost.`,
    fileStarted: (name: string) =>
      `${name} is being restored. Its progress shows in the banner above.`,
  },

  restorePreview: {
    title: 'What this restore will do',
    loading: 'Comparing the snapshot with your current files …',
    failed: (message: string) =>
      `What the restore will change could not be worked out: ${message} You can still restore.`,
    add: 'Added',
    change: 'Changed',
    delete: 'Deleted',
    area: (label: string, add: number, change: number, del: number, unchanged: number) =>
      `${label}: ${add} added, ${change} changed, ${del} deleted, ${unchanged} unchanged`,
    keepsNewer: 'Nothing is deleted here: messages received since the snapshot are kept.',
    deletedKept:
      'Deleted files are files you have now that are not in the snapshot; they stay in the copy made before the restore.',
    filters: 'filters',
    databases: (names: string) => `Databases replaced as a whole: ${names}`,
    none: 'Nothing in this list.',
    nothing: 'Your current data is already as in this snapshot.',
    range: (from: number, to: number, total: number) => `${from}–${to} of ${total}`,
    previous: 'Previous',
    next: 'Next',
    size: (size: string) => `${size}`,
  },

  browse: {
    title: (time: string) => `Files of the snapshot from ${time}`,
    safetyTitle: (restoreJobId: number) =>
      `Files of the safety copy before restore #${restoreJobId}`,
    root: 'Snapshot',
    breadcrumbs: 'Folder path',
    columns: { name: 'Name', size: 'Size', modified: 'Modified', actions: 'Actions' },
    open: (name: string) => `Open folder ${name}`,
    restore: 'Restore',
    restoreLabel: (name: string) => `Restore ${name}`,
    download: 'Download',
    downloadLabel: (name: string) => `Download ${name}`,
    empty: 'This folder is empty.',
    loadFailed: (message: string) => `This folder could not be opened: ${message}`,
    preparing: 'Opening the snapshot… The first time can take a few seconds.',
    more: (shown: number, total: number) => `Showing ${shown} of ${total} entries.`,
    showMore: 'Show more',
    pickHint: 'Choose a file and click Restore next to it.',
  },

  admin: {
    tabs: {
      jobs: 'All jobs',
      schedules: 'All schedules',
      server: 'Server-wide backups',
      packages: 'Packages',
      targets: 'Targets',
      keys: 'Repository keys',
    },
    customer: 'Customer',
    allCustomers: 'All customers',
    customerColumn: 'Customer',
    serverWide: 'Server',
    allOfServer: 'Entire server',
    serverIntro:
      'Server-wide backups cover every customer (or one customer with its own settings) into the server’s own repository. Customers never see them.',
    newServerSchedule: 'New server-wide schedule',
    serverScheduleFor: 'Back up',
    serverEmpty: 'No server-wide schedules yet.',
    schedulesEmpty: 'No schedules match.',
    jobsEmpty: 'No jobs match.',
    packagesIntro: 'What each hosting package allows its customers.',
    packagesEmpty: 'No packages are defined. The hosting panel imports them with the inventory.',
    packageColumns: {
      name: 'Package',
      frequencies: 'Frequencies',
      retention: 'Max. snapshots per schedule',
      schedules: 'Max. schedules',
      customers: 'Customers',
    },
    unlimited: 'Unlimited',
    keysIntro:
      'Each repository is encrypted with its own key. Download the keys and keep them somewhere safe, away from this server.',
    keysWarning:
      'Without the key there is no recovery: if this server is lost, a repository can only be opened with its key.',
    keyColumns: { owner: 'Owner', target: 'Target', location: 'Location', created: 'Created' },
    downloadKey: 'Download as file',
    downloadKeyLabel: (owner: string) => `Download as file: the key of ${owner}'s repository`,
    keysEmpty: 'No repositories yet. They are created by the first backup to each target.',
    targetsIntro:
      'The backup targets that schedules use, each with the schedules, owners and repositories on it. “Test connection” uses the stored credentials.',
    targetsEmpty: 'No targets yet. They appear here once a schedule uses them.',
    targetColumns: {
      kind: 'Type',
      location: 'Endpoint, host or path',
      container: 'Bucket or base directory',
      uses: 'Schedules and repositories',
    },
    targetUse: (schedule: string, owner: string) => `${schedule} (${owner})`,
    testTargetLabel: (location: string) => `Test connection: ${location}`,
    loadFailed: (message: string) => `This list could not be loaded: ${message}`,
    missingEndpoint: 'This server does not offer this yet.',
  },

  units: {
    bytes: ['B', 'KB', 'MB', 'GB', 'TB'],
    seconds: (n: number) => `${n} s`,
    minutes: (m: number, s: number) => (s ? `${m} min ${s} s` : `${m} min`),
    hours: (h: number, m: number) => (m ? `${h} h ${m} min` : `${h} h`),
  },

  dates: {
    today: (time: string) => `Today, ${time}`,
    yesterday: (time: string) => `Yesterday, ${time}`,
    tomorrow: (time: string) => `Tomorrow, ${time}`,
  },

  /** The header's switch; each language is named in its own words. */
  language: {
    label: 'Language',
    de: 'Deutsch',
    en: 'English',
  },
};

export type Messages = typeof en;
