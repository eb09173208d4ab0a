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
    againTitle: 'Please sign in again',
    againNotice:
      'Your session has ended. Sign in again to go on where you were: what you entered on the page is kept.',
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
    wholeNumber: 'Enter a whole number, such as 7.',
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
    type: {
      backup: 'Backup',
      restore: 'Restore',
      maintenance: 'Maintenance',
      drill: 'Restore drill',
      copy: 'Second copy',
      lifecycle: 'Customer life cycle',
    },
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
    amounts: (done: string, total: string, files: number, filesTotal: number) =>
      `${done} of ${total} · ${files.toLocaleString('en-US')} of ${filesTotal.toLocaleString('en-US')} files`,
    ended: (name: string) => `${name} has ended.`,
    dismiss: (name: string) => `Hide the note about ${name}`,
  },

  /** The note under an action once its job has ended; it links to the job's History entry. */
  notice: {
    finished: {
      successful: (name: string) => `${name} has finished successfully.`,
      failed: (name: string) => `${name} has failed.`,
      canceled: (name: string) => `${name} was canceled.`,
    },
    openInHistory: 'See it in History',
    backup: (name: string) => `The backup “${name}”`,
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
  /** A weekly schedule's day, as "Mondays at 2:17 AM UTC" names it. */
  weekdaysPlural: [
    'Sundays',
    'Mondays',
    'Tuesdays',
    'Wednesdays',
    'Thursdays',
    'Fridays',
    'Saturdays',
  ],

  when: {
    hourly: (minute: string) => `Every hour at minute ${minute}`,
    daily: (hour: string) => `Daily at ${hour} UTC`,
    /** `day` from weekdaysPlural: the day is UTC's as much as the hour. */
    weekly: (day: string, hour: string) => `${day} at ${hour} UTC`,
    monthly: (day: number, hour: string) => `Monthly on day ${day} at ${hour} UTC`,
    /** The same moment in the viewer's zone, after the UTC text, where the two differ. */
    local: (text: string) => `for you: ${text}`,
    localWeekly: (day: string, time: string) => `${day} at ${time}`,
    /** `shift`: the viewer's calendar day against UTC's (-1 the day before, 1 the day after). */
    localMonthly: (shift: number, day: number, time: string) =>
      shift < 0
        ? `the day before, at ${time}`
        : shift > 0
          ? `the day after, at ${time}`
          : `day ${day} at ${time}`,
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
    vault: 'Vault',
    vaultSummary: (address: string) => `Vault: ${address}`,
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
    atLimit: (n: number) =>
      `You have ${n} of ${n} schedules, the most your package allows. To add one, delete or change an existing schedule, or ask your hosting provider for a larger package.`,
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
    copyTo: (target: string, keep: number) =>
      `Second copy: ${target}, keeps ${keep} snapshot${keep === 1 ? '' : 's'}`,
    copyFailed: 'Last copy failed',
    lastCopy: (when: string) => `Last copy: ${when}`,
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
      `Backups start within this hour in UTC (for you: ${local}), at a minute set for your account so that not every backup starts at once; "Next run" shows it.`,
    hourUnused:
      'Not used: hourly backups run every hour, at a minute set for your account; "Next run" shows it.',
    day: 'Day',
    weekday: 'Day of the week (UTC)',
    monthDay: 'Day of the month (UTC)',
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
    vault: {
      url: 'Vault address',
      urlPlaceholder: 'https://vault.example.com:8421',
      user: 'Vault user (this server’s name on the vault)',
      password: 'Vault password',
      caCert: 'CA certificate of the vault (PEM)',
      hint: 'The vault keeps the backups append-only: this server can add and read, never delete. Retention, prune and check run on the vault.',
      customerHint:
        'Your backups go to your provider’s vault, where this server cannot delete them.',
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
    copy: {
      legend: 'Second copy',
      description:
        'Each new backup is also copied to a second place, so that one lost target loses no backup. Restores work from either.',
      target: 'Second copy to',
      none: 'No second copy',
      providerStorage: 'Your provider’s backup storage',
      localPath: 'Directory on the server for the second copy',
      retention: 'Snapshots the second copy keeps',
      retentionDescription: (max: number | null) =>
        max === null
          ? 'Empty: as many as this schedule keeps'
          : `Empty: as many as this schedule keeps (at most ${max} in your package)`,
    },
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
    pageOfMore: (from: number, to: number, total: number) => `${from}–${to} of more than ${total}`,
    pages: 'History pages',
    flagged: 'Mass change',
    flaggedHint:
      'This backup found an unusual share of files changed, deleted or encrypted at once. If you did not make these changes, restore from a snapshot before it: those are held for 30 days. The log says what was found.',
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
    addedMore:
      'More than the data size: each backup also stores its own records (folder listings and file details), which count for a small or new backup whose data hardly compresses.',
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
    noLog: 'No log lines yet.',
    error: 'Error message',
    loadFailed: (message: string) => `This job could not be loaded: ${message}`,
  },

  /** The steps of a job's log as its customer reads them (API `steps`, by code). */
  jobLog: {
    title: 'What happened',
    times: (zone: string) => `Times are in your time zone (${zone}).`,
    rawTitle: 'Raw log (for the provider)',
    rawTimes: 'Times in the raw log are in UTC.',
    started: (type: string) => `${type} started`,
    finished: (type: string) => `${type} finished successfully`,
    failed: (type: string, error: string) => `${type} failed: ${error}`,
    canceled: (type: string) => `${type} was canceled`,
    dumping: (count: number, names: string) =>
      `Saving ${count} database${count === 1 ? '' : 's'}: ${names}`,
    parent: 'Files unchanged since the last backup are not read again.',
    summary: (
      files: number,
      size: string,
      added: string,
      filesNew: number,
      filesChanged: number,
      unchanged: number,
      took: string,
    ) =>
      `${files} files (${size}): ${filesNew} new, ${filesChanged} changed, ${unchanged} unchanged. Added to the backup storage: ${added}, in ${took}.`,
    unreadable: (count: number) =>
      `${count} file${count === 1 ? '' : 's'} could not be read and ${count === 1 ? 'is' : 'are'} not in this backup.`,
    retention: (count: number, keep: number) =>
      `Removed ${count} old snapshot${count === 1 ? '' : 's'}; the newest ${keep} are kept.`,
    restoreWeb: 'Restoring your web files',
    restoreFile: (path: string) => `Restoring ${path}`,
    restoreDatabase: (name: string) => `Restoring database ${name}`,
    restoreMailbox: (address: string) => `Restoring mailbox ${address}`,
    safety: 'A copy of the current data was saved before it was overwritten.',
    undo: (restoreJobId: number) =>
      `To undo this restore, choose “Safety copy before restore #${restoreJobId}” on the Restore tab and restore it.`,
    partial: 'The restore stopped part way.',
    recovered: (type: string) => `${type} completed when the service started again`,
    verified: (name: string, tables: number) =>
      `Database ${name}: ${tables} table${tables === 1 ? '' : 's'} checked, the same as at the backup.`,
    recoveredDatabase: (name: string) =>
      `Database ${name} was restored completely when the service started again.`,
    rolledBackDatabase: (name: string) => `Database ${name} was left as it was before the restore.`,
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
    keep: 'Keep',
    kept: 'Kept',
    keepLabel: (time: string) =>
      `Keep the snapshot from ${time}: it is not deleted while it is kept`,
    unkeepLabel: (time: string) =>
      `Kept: the snapshot from ${time} is kept; press to stop keeping it`,
    keepFailed: (message: string) => `The snapshot could not be kept: ${message}`,
    holdBadge: { legal: 'Held', keep: 'Kept', guard: 'Held after mass change' },
    holdUntil: (reason: string, time: string) => `${reason} – until ${time}`,
    holdOpen: (reason: string) => `${reason} – until released`,
    lastVerified: (time: string) => `Last verified restore: ${time}`,
    neverVerified: 'Last verified restore: none yet. Restore drills check your backups regularly.',
    verifiedBadge: (time: string) => `Verified ${time}`,
    copyBadge: 'Second copy',
    copyTitle:
      "This snapshot is the copy on the schedule's second target; it restores like the first copy.",
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
    history: {
      button: 'History',
      label: (name: string) => `History of ${name}`,
      title: (name: string) => `Versions of ${name}`,
      intro: (count: number) =>
        `Newest first, from ${count === 1 ? 'the one snapshot' : `the ${count} snapshots`} of this schedule. A version stays the same until the file changes.`,
      loading: 'Looking through the snapshots…',
      failed: (message: string) => `The history could not be read: ${message}`,
      backedUp: (time: string) => `Backed up ${time}`,
      since: (count: number, since: string) =>
        count === 1 ? 'In this snapshot only' : `In ${count} snapshots, since ${since}`,
      absent: (since: string, time: string) =>
        since === time
          ? `Not in the snapshot from ${time}`
          : `Not in the snapshots from ${since} to ${time}`,
      changes: 'Changes',
      changesLabel: (time: string) => `Changes in the version backed up ${time}`,
      compareTitle: (older: string, newer: string) => `Changes from ${older} to ${newer}`,
      summary: (added: number, removed: number) =>
        `${added} ${added === 1 ? 'line' : 'lines'} added, ${removed} removed.`,
      fromLine: (line: number) => `From line ${line}`,
      same: 'The two versions are the same.',
      binary: 'This file is not text: its versions cannot be compared line by line.',
      tooLarge: 'This file is too large to compare here: download the two versions instead.',
      tooDifferent: 'Almost every line differs: download the two versions to compare them.',
    },
    search: {
      label: 'Search this snapshot',
      placeholder: 'Part of a file or folder name',
      folder: 'Folder',
      openFolder: (folder: string) => `Open folder ${folder}`,
      searching: 'Searching…',
      none: (query: string) => `No file or folder name contains “${query}”.`,
      found: (count: number) => (count === 1 ? '1 match.' : `${count} matches.`),
      more: (count: number) =>
        `The first ${count} matches are shown; type more of the name to narrow them.`,
      failed: (message: string) => `The search did not work: ${message}`,
    },
  },

  account: {
    changePassword: 'Change password',
    current: 'Current password',
    next: 'New password',
    repeat: 'New password again',
    hint: 'At least 12 characters. Your other sessions end; this one stays signed in.',
    mismatch: 'The two new passwords differ.',
    save: 'Change password',
    changed: 'Your password has been changed.',
  },

  users: {
    intro:
      'Who can sign in: administrators see everything, a customer user only their own backups.',
    newUser: 'New user',
    columns: {
      name: 'User name',
      role: 'Role',
      customer: 'Customer',
      created: 'Created',
      actions: 'Actions',
    },
    role: { admin: 'Administrator', customer: 'Customer' },
    username: 'User name',
    password: 'Password',
    passwordHint: 'At least 12 characters. Tell the user over a safe way.',
    customer: 'Customer',
    create: 'Create user',
    created: (name: string) => `User ${name} has been created.`,
    resetPassword: 'Set password',
    resetLabel: (name: string) => `Set password for ${name}`,
    resetTitle: (name: string) => `New password for ${name}`,
    resetHint: 'Their sessions end; they sign in with the new password.',
    reset: (name: string) => `The password of ${name} has been set.`,
    delete: 'Delete',
    deleteLabel: (name: string) => `Delete user ${name}`,
    deleteTitle: (name: string) => `Delete user ${name}?`,
    deleteText: 'They can no longer sign in; their sessions end now. Backups are not affected.',
    deleted: (name: string) => `User ${name} has been deleted.`,
    empty: 'No users yet.',
  },

  tokens: {
    intro:
      'API tokens let a hosting panel or a monitoring system use the API. Each is shown once, when it is made.',
    newToken: 'New API token',
    columns: {
      name: 'Name',
      for: 'For',
      scope: 'May',
      created: 'Created',
      lastUsed: 'Last used',
      actions: 'Actions',
    },
    scope: { full: 'Read and change', read: 'Only read' },
    scopeHint:
      'Only read: for dashboards and monitoring; it cannot start, change or delete anything.',
    name: 'Name',
    namePlaceholder: 'Hosting panel',
    role: 'Acts as',
    allCustomers: 'Administrator (every customer)',
    create: 'Create token',
    shownOnce:
      'Copy the token now: it is shown only this once. Send it as “Authorization: Bearer <token>”.',
    copy: 'Copy',
    copied: 'Copied',
    done: 'Done',
    never: 'Never',
    revoke: 'Revoke',
    revokeLabel: (name: string) => `Revoke token ${name}`,
    revokeTitle: (name: string) => `Revoke token ${name}?`,
    revokeText: 'Whatever uses it is refused from now on.',
    revoked: (name: string) => `Token ${name} has been revoked.`,
    empty: 'No API tokens yet.',
  },

  admin: {
    tabs: {
      jobs: 'All jobs',
      schedules: 'All schedules',
      server: 'Server-wide backups',
      packages: 'Packages',
      targets: 'Targets',
      keys: 'Repository keys',
      customers: 'Customers',
      users: 'Users',
      tokens: 'API tokens',
      holds: 'Holds',
      coverage: 'Coverage',
      servers: 'Servers',
    },
    coverage: {
      intro:
        'Every customer and how well they are protected: the last successful backup per scope, overdue, failing and partial schedules, areas no schedule covers, and the last restore drill that proved a backup restores.',
      state: 'Show',
      allStates: 'All customers',
      sort: 'Sort by',
      sorts: {
        state: 'Worst first',
        customer: 'Customer',
        lastSuccess: 'Last backup',
        lastVerified: 'Last verified restore',
        size: 'Size',
      },
      states: {
        failed: 'Failing',
        overdue: 'Overdue',
        unscheduled: 'No schedule',
        partial: 'Partial',
        uncovered: 'Areas without schedule',
        unverified: 'Not verified',
        ok: 'OK',
      },
      count: (label: string, n: number) => `${label}: ${n}`,
      csv: 'Download CSV',
      empty: 'No customers match.',
      never: 'Never',
      scopeSuccess: (scope: string, time: string) => `${scope}: ${time}`,
      scheduleCounts: (all: number, overdue: number, failed: number, partial: number) =>
        [
          `${all} schedule${all === 1 ? '' : 's'}`,
          overdue ? `${overdue} overdue` : '',
          failed ? `${failed} failing` : '',
          partial ? `${partial} partial` : '',
        ]
          .filter(Boolean)
          .join(', '),
      columns: {
        customer: 'Customer',
        state: 'State',
        lastSuccess: 'Last successful backup',
        schedules: 'Schedules',
        unscheduled: 'Without schedule',
        lastVerified: 'Last verified restore',
        size: 'Stored',
      },
    },
    customer: 'Customer',
    allCustomers: 'All customers',
    customerColumn: 'Customer',
    serverWide: 'Server',
    allOfServer: 'Entire server',
    serverIntro:
      'Server-wide backups cover every customer (or one customer with its own settings) into the server’s own repository. Customers never see them.',
    newServerSchedule: 'New server-wide schedule',
    hostingServer: 'Hosting server',
    hostingServerHint:
      "Only this server's customers are backed up, on its agent. Every server: each customer on its own server.",
    everyServer: 'Every server',
    serverScheduleFor: 'Back up',
    serverEmpty: 'No server-wide schedules yet.',
    schedulesEmpty: 'No schedules match.',
    jobsEmpty: 'No jobs match.',
    packagesIntro: 'What each hosting package allows its customers.',
    packagesEmpty: 'No packages are defined. The hosting panel imports them with the inventory.',
    customerForm: {
      intro:
        'The customers of the hosting inventory. The panel usually keeps them in step (import); change one here when it does not.',
      columns: {
        customer: 'Customer',
        package: 'Package',
        server: 'Server',
        areas: 'Areas',
        contact: 'Contact',
        actions: 'Actions',
      },
      areas: (dbs: number, boxes: number) =>
        `web root, ${dbs} database${dbs === 1 ? '' : 's'}, ${boxes} mailbox${boxes === 1 ? '' : 'es'}`,
      edit: 'Edit',
      editLabel: (name: string) => `Edit customer ${name}`,
      editTitle: (name: string) => `Edit customer ${name}`,
      delete: 'Delete',
      deleteLabel: (name: string) => `Delete customer ${name}`,
      deleteTitle: (name: string) => `Delete customer ${name}?`,
      deleteText:
        'Only the record goes: their files, backups, schedules and sign-ins stay until removed on their own.',
      name: 'Name',
      package: 'Package',
      contact: 'Contact e-mail',
      contactHint: 'Told when the mass-change guard flags a backup; may stay empty.',
      webRoot: 'Web root',
      databases: 'Databases',
      databasesHint: 'Names separated by commas.',
      save: 'Save customer',
      saved: (name: string) => `Customer ${name} has been saved.`,
      deleted: (name: string) => `Customer ${name} has been deleted.`,
      empty: 'No customers yet.',
      move: 'Move',
      moveLabel: (name: string) => `Move customer ${name} to another server`,
      moveTitle: (name: string) => `Move customer ${name} to another server`,
      moveFrom: (server: string) => `Now on server ${server}.`,
      moveTo: 'Move to',
      moveToHint: 'Online servers that are not revoked.',
      moveNoServer: 'No other server is online to move this customer to.',
      moveChoose: 'Choose the server to move to.',
      moveNext: 'Continue',
      moveConfirmTitle: (name: string, server: string) => `Move ${name} to ${server}?`,
      moveConfirmText: (from: string, to: string) =>
        `From now on its backups, restores and browsing run on the agent of ${to}. Its repositories on S3 or FTP continue: its snapshots stay listed and the next backup adds only what changed. A schedule that backs up to a directory on ${from} cannot follow, so the move is refused until its target is S3 or FTP. The customer's files must already be on ${to}: the hosting panel moves them.`,
      moveSubmit: 'Move',
      moved: (name: string, from: string, to: string) =>
        `Customer ${name} has been moved from ${from} to ${to}.`,
    },
    packageForm: {
      newPackage: 'New package',
      edit: 'Edit',
      editLabel: (name: string) => `Edit package ${name}`,
      editTitle: (name: string) => `Edit package ${name}`,
      delete: 'Delete',
      deleteLabel: (name: string) => `Delete package ${name}`,
      deleteTitle: (name: string) => `Delete package ${name}?`,
      deleteText: 'Only a package no customer uses can be deleted.',
      id: 'Package ID',
      idHint: 'Lower-case letters, digits, dashes; it cannot change later.',
      name: 'Name',
      frequencies: 'Frequencies customers may choose',
      maxRetention: 'Most snapshots per schedule',
      maxSchedules: 'Most schedules per customer',
      zeroUnlimited: '0: unlimited',
      keepLimit: 'Snapshots a customer may keep',
      save: 'Save package',
      saved: (name: string) => `Package ${name} has been saved.`,
      deleted: (name: string) => `Package ${name} has been deleted.`,
    },
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
    editTarget: 'Edit',
    editTargetLabel: (schedule: string) => `Edit the target of ${schedule}`,
    targetsEditHint:
      'A target is edited through a schedule that uses it: a new password or key there, or another place for that schedule’s backups.',
    loadFailed: (message: string) => `This list could not be loaded: ${message}`,
    missingEndpoint: 'This server does not offer this yet.',
    holdsIntro:
      'Snapshots that retention and deletion leave alone: your holds (legal holds), the snapshots customers keep, and those the mass-change guard held after a suspicious backup. Put a hold on a snapshot with “hostvault holds add” or the API.',
    holdsEmpty: 'No snapshot is held.',
    holdColumns: {
      snapshot: 'Snapshot',
      customer: 'Customer',
      kind: 'Kind',
      reason: 'Reason',
      until: 'Until',
    },
    holdKinds: { legal: 'Provider’s hold', keep: 'Kept by customer', guard: 'Mass-change guard' },
    holdForever: 'Until released',
    release: 'Release',
    releaseLabel: (snapshot: string) => `Release the hold on snapshot ${snapshot}`,
    releaseFailed: (message: string) => `The hold could not be released: ${message}`,
    servers: {
      intro:
        'The hosting servers whose agents run the backups and restores of their customers. An agent is online when it was heard from within the last 45 seconds.',
      empty: 'No servers yet.',
      columns: {
        server: 'Server',
        state: 'State',
        agent: 'Agent',
        lastSeen: 'Last heard',
        versions: 'restic / MariaDB',
        free: 'Free space',
        jobs: 'Jobs',
        actions: 'Actions',
      },
      state: {
        enrolled: 'Enrolled',
        draining: 'Draining',
        revoked: 'Revoked',
        awaiting: 'Awaiting enrollment',
      },
      implicit: 'this server',
      unsealed: 'Unsealed',
      unsealedHint:
        'Requests to this agent, repository passwords included, wait in NATS unsealed: it enrolled before requests were sealed (or was never enrolled). Enroll it again.',
      online: 'Online',
      offline: 'Offline',
      jobs: (running: number, queued: number) => `${running} running, ${queued} queued`,
      never: 'never',
      drain: 'Drain',
      drainLabel: (server: string) => `Drain ${server}: start no new jobs there`,
      undrain: 'Undrain',
      undrainLabel: (server: string) => `Undrain ${server}: start its jobs again`,
      revoke: 'Revoke',
      revokeLabel: (server: string) => `Revoke ${server}`,
      revokeConfirm: (server: string) =>
        `Revoke ${server}? Its agent is disconnected at once and cannot connect again until the server is enrolled anew.`,
      enrollTitle: 'Enroll a server',
      enrollName: 'Server name',
      enrollNameHint: 'Lower-case letters, digits, "-" and "_", as the hosting server is called.',
      enrollSubmit: 'Create enrollment token',
      tokenShownOnce: (server: string, expires: string) =>
        `One-time token for ${server}, valid until ${expires}. It is shown only now: on that server run`,
      actionFailed: (message: string) => `That did not work: ${message}`,
      recover: 'Recover',
      recoverLabel: (server: string) => `Recover ${server} onto another server`,
      recoverIntro: (server: string) =>
        `Every customer of ${server} is moved to the server you choose and restored there from its S3 or FTP backups (the newest snapshot of each content). Customers whose schedules back up to a directory on ${server}, or who have no snapshot, are left where they are.`,
      recoverTo: 'Restore onto',
      recoverNoServer: 'No other enrolled server to restore onto.',
      recoverSubmit: 'Recover',
      recoverReport: (from: string, to: string) => `Recovery of ${from} onto ${to}`,
      recoverNoCustomers: 'The server had no customers.',
      recoverQueued: (customer: string, jobs: string) =>
        `${customer}: moved; restores queued (jobs ${jobs}).`,
      recoverSkipped: (customer: string, reason: string) => `${customer}: skipped. ${reason}`,
      recoverNotQueued: (what: string, reason: string) => `Not queued: ${what}. ${reason}`,
    },
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
