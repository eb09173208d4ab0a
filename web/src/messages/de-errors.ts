/**
 * The API's error codes in German, the same keys as en-errors.ts (`ErrorTexts` makes a missing
 * code a compile error; src/messages/catalog test checks params and empty texts).
 */
import type { ErrorParams, ErrorTexts } from './en-errors.js';

const p = (params: ErrorParams, key: string): string => String(params[key] ?? '');
/**
 * The field by its German name, which the page puts in `label` in place of the API's English one
 * (web/src/api/client.ts); "Dieses Feld" for a field the page has no name for, never English.
 */
const label = (x: ErrorParams): string => (x.label ? `„${p(x, 'label')}“` : 'Dieses Feld');
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const frequencies: Record<string, string> = {
  hourly: 'stündlichen',
  daily: 'täglichen',
  weekly: 'wöchentlichen',
  monthly: 'monatlichen',
};
const adverbs: Record<string, string> = {
  hourly: 'stündlich',
  daily: 'täglich',
  weekly: 'wöchentlich',
  monthly: 'monatlich',
};
/** The API lists frequencies by their codes ("daily, weekly"). */
const frequencyList = (list: string): string =>
  list
    .split(/,\s*/)
    .map((f) => adverbs[f] ?? f)
    .join(', ');

export const deErrors: ErrorTexts = {
  not_found: 'Nicht gefunden.',
  'validation.failed': 'Bitte prüfen Sie die markierten Felder.',
  'request.invalid_json': 'Der Inhalt der Anfrage ist kein gültiges JSON.',
  'request.empty_body': 'Die Anfrage ist leer; senden Sie ein JSON-Objekt.',
  'request.too_large': (x) =>
    `Der Inhalt der Anfrage ist zu groß: höchstens ${p(x, 'maxBytes')} Bytes.`,
  'request.unsupported_media_type':
    'Senden Sie den Inhalt der Anfrage als JSON (Content-Type: application/json).',
  'request.unreadable': 'Die Anfrage konnte nicht gelesen werden.',
  'request.id_mismatch': (x) =>
    `Die ID muss „${p(x, 'id')}“ lauten, wie in der Adresse, oder weggelassen werden.`,
  internal: 'Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es später noch einmal.',

  'auth.sign_in_required': 'Bitte melden Sie sich an.',
  'auth.token_invalid': 'Das API-Token ist ungültig.',
  'auth.csrf_invalid':
    'Ihre Sitzung konnte diese Anfrage nicht bestätigen. Bitte laden Sie die Seite neu.',
  'auth.admin_only': 'Das darf nur ein Administrator.',
  'auth.customer_only': 'Nur Kunden haben eigene Datenbanken und Postfächer.',
  'auth.wrong_credentials': 'Benutzername oder Passwort ist falsch.',
  'auth.rate_limited': (x) =>
    `Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in ${plural(Number(x.minutes ?? 1), 'Minute', 'Minuten')} erneut.`,
  'auth.link_invalid':
    'Dieser Anmeldelink ist ungültig, wurde bereits verwendet oder ist abgelaufen.',
  'auth.token_read_only': 'Dieses API-Token darf nur lesen: Es kann nichts ändern.',

  'user.username_invalid':
    'Der Benutzername darf Buchstaben, Ziffern, Punkte, Bindestriche, Unterstriche und @ enthalten, höchstens 100 Zeichen, und muss mit einem Buchstaben oder einer Ziffer beginnen.',
  'user.password_too_short': (x) =>
    `Das Passwort muss mindestens ${p(x, 'minLength')} Zeichen lang sein.`,
  'user.customer_required': 'Wählen Sie den Kunden, zu dem dieser Benutzer gehört.',
  'user.admin_has_no_customer': 'Ein Administrator gehört zu keinem Kunden.',
  'user.username_taken': 'Ein Benutzer mit diesem Namen existiert bereits.',
  'user.current_password_wrong': 'Ihr aktuelles Passwort stimmt nicht.',
  'user.cannot_delete_self': 'Sie können den Benutzer, mit dem Sie angemeldet sind, nicht löschen.',
  'user.last_admin': 'Der letzte Administrator kann nicht gelöscht werden.',
  'token.name_invalid': 'Der Name muss 1 bis 100 Zeichen lang sein.',
  'token.customer_mismatch': 'Ein Kunden-Token braucht den Kunden; ein Admin-Token hat keinen.',

  'customer.unknown': (x) => `Es gibt keinen Kunden „${p(x, 'customerId')}“.`,
  'package.in_use': (x) =>
    `Das Paket „${p(x, 'packageId')}“ wird von ${plural(Number(x.count ?? 0), 'Kunden', 'Kunden')} verwendet (${p(x, 'customerIds')}). Ordnen Sie diese zuerst einem anderen Paket zu.`,
  'package.no_backups': 'Ihr Hosting-Paket enthält keine Backups.',
  'package.frequency_not_included': (x) =>
    `Ihr Paket enthält keine ${frequencies[p(x, 'frequency')] ?? p(x, 'frequency')} Backups; verfügbar: ${frequencyList(p(x, 'available'))}.`,
  'package.retention_limit': (x) =>
    `Ihr Paket erlaubt höchstens ${plural(Number(x.max ?? 0), 'Snapshot', 'Snapshots')} pro Zeitplan.`,
  'package.schedule_limit': (x) =>
    `Ihr Paket erlaubt höchstens ${plural(Number(x.max ?? 0), 'Zeitplan', 'Zeitpläne')}.`,
  'inventory.invalid': 'Dieser Wert ist für das Inventar nicht gültig.',

  'schedule.customer_required': 'Wählen Sie einen Kunden.',
  'schedule.server_follows_customer':
    'Nur ein Zeitplan für den ganzen Server nennt einen Server: Der Zeitplan eines Kunden läuft auf dessen Server.',
  'schedule.server_wide_has_no_customer':
    'Ein Zeitplan für den gesamten Server gehört zu keinem Kunden.',
  'schedule.running':
    'Dieser Zeitplan führt gerade ein Backup aus. Brechen Sie es ab oder warten Sie, bis es fertig ist.',
  'schedule.copy_same_target':
    'Die Zweitkopie muss an einen anderen Ort gehen als das eigene Ziel des Zeitplans.',
  'lifecycle.terminated':
    'Dieser Kunde ist gekündigt; seine Backups werden bis zur Löschung aufbewahrt.',
  'lifecycle.purged': 'Die Backups dieses Kunden wurden gelöscht.',
  'lifecycle.rewrite_unsupported': (x) =>
    `Einen Pfad aus vorhandenen Snapshots zu entfernen braucht restic 0.15 oder neuer; dieser Server hat ${p(x, 'version')}.`,
  'lifecycle.path_invalid': (x) =>
    `${p(x, 'path')} ist kein Pfad in den gesicherten Bereichen des Kunden. Geben Sie den vollständigen Pfad an, wie ihn die Snapshots enthalten.`,

  'target.address_refused':
    'Backups können nicht auf diesen Server gehen: Die Adresse führt zu diesem Server oder in ein privates Netz. Geben Sie die Adresse eines Servers im Internet ein.',
  'target.vault_provider_only':
    'Einen Tresor richtet Ihr Hosting-Anbieter ein. Wählen Sie ein anderes Backup-Ziel, oder bitten Sie Ihren Anbieter, diesen Zeitplan mit seinem Tresor einzurichten.',
  'target.host_not_found':
    'Der Servername wurde nicht gefunden. Prüfen Sie die Schreibweise der Adresse.',
  'target.secret_required': (x) =>
    `Geben Sie ${x.secret === 'secretAccessKey' ? 'den Secret Key' : 'das Passwort'} erneut ein.`,
  'target.test_rate_limited': (x) =>
    `Sie haben innerhalb einer Minute ${p(x, 'limit')} Verbindungstests gestartet. Versuchen Sie es in ${p(x, 'retryAfterSeconds')} s erneut.`,
  'target.tests_busy':
    'Es laufen gerade andere Verbindungstests. Versuchen Sie es gleich noch einmal.',

  'job.finished': 'Dieser Auftrag ist bereits beendet.',
  'job.on_other_worker':
    'Dieser Auftrag läuft auf einem anderen Worker und kann hier nicht abgebrochen werden.',

  'server.enrollment_invalid':
    'Dieses Anmelde-Token ist unbekannt, bereits verwendet oder abgelaufen. Erstellen Sie im Adminbereich ein neues.',
  'server.revoked': (x) => `Server ${p(x, 'server')} ist gesperrt.`,
  'server.key_invalid':
    'Der Agent hat keinen gültigen öffentlichen NATS-Schlüssel gesendet, oder ein anderer Server hat ihn bereits.',
  'server.unknown': (x) => `Es gibt keinen Server ${p(x, 'server')}.`,
  'server.fleet_not_configured':
    'Dieser Dienst verwaltet keine Flotte: Anmelden und Sperren von Servern braucht einen Controller mit gesetzter NATS-Autorisierungsdatei.',

  'server.move_same_server': (x) =>
    `Kunde ${p(x, 'customer')} ist bereits auf Server ${p(x, 'server')}.`,
  'server.move_local_target': (x) =>
    `Zeitplan „${p(x, 'schedule')}“ von Kunde ${p(x, 'customer')} sichert in ein Verzeichnis auf Server ${p(x, 'server')}: Ein anderer Server erreicht dieses Repository nicht. Stellen Sie das Ziel des Zeitplans zuerst auf S3 oder FTP um.`,
  'server.move_jobs_active': (x) =>
    `Kunde ${p(x, 'customer')} hat ${p(x, 'jobs')} wartende oder laufende Aufträge. Warten Sie, bis sie beendet sind (oder brechen Sie sie ab), und verschieben Sie den Kunden dann.`,
  'server.recover_online': (x) =>
    `Der Agent von Server ${p(x, 'server')} ist online: Die Wiederherstellung ist für einen verlorenen Server. Verschieben Sie seine Kunden einzeln, oder sperren Sie ihn zuerst.`,
  'server.recover_no_snapshot': (x) =>
    `Kunde ${p(x, 'customer')} hat keinen Snapshot, aus dem wiederhergestellt werden kann.`,

  'snapshot.ambiguous_id': (x) =>
    `Die Snapshot-ID ${p(x, 'ref')} passt auf mehr als einen Snapshot; geben Sie mehr Zeichen davon an.`,
  'snapshot.keep_limit': (x) =>
    `Ihr Paket erlaubt, höchstens ${plural(Number(x.max ?? 0), 'Snapshot', 'Snapshots')} zu behalten. Heben Sie zuerst „Behalten“ bei einem anderen Snapshot auf.`,
  'snapshot.hold_expiry_past': 'Das Ende der Sperre muss in der Zukunft liegen.',
  'browse.invalid_path':
    'Dieser Pfad ist ungültig. Wählen Sie eine Datei oder einen Ordner aus der Dateiansicht.',
  'browse.invalid_snapshot_id': 'Diese Snapshot-ID ist ungültig.',
  'browse.invalid_page': 'Diese Seite des Ordners gibt es nicht.',
  'browse.invalid_query':
    'Suchen Sie nach einem Teil eines Datei- oder Ordnernamens (höchstens 200 Zeichen, ohne „/“).',
  'browse.outside_roots': 'Dieser Pfad liegt außerhalb der Bereiche dieses Snapshots.',
  'browse.not_a_directory': 'Das ist eine Datei, kein Ordner.',
  'browse.not_a_file': 'Das ist keine Datei.',
  'browse.no_content':
    'Das ist ein Link, eine Pipe, ein Socket oder eine Gerätedatei: Es gibt keinen eigenen Inhalt zum Herunterladen.',
  'browse.not_open':
    'Dieser Snapshot kann gerade nicht durchsucht werden. Bitte versuchen Sie es erneut.',
  'download.choose_entry': 'Wählen Sie eine Datei oder einen Ordner zum Herunterladen.',
  'download.failed': (x) =>
    `Der Download konnte nicht aus dem Backup gelesen werden. ${p(x, 'reason')}`,

  'restore.limit_reached': (x) =>
    Number(x.limit) === 1
      ? 'Sie haben bereits eine wartende oder laufende Wiederherstellung. Bitte warten Sie, bis sie fertig ist, und starten Sie dann diese.'
      : `Sie haben bereits ${p(x, 'limit')} wartende oder laufende Wiederherstellungen. Bitte warten Sie, bis eine fertig ist, und starten Sie dann diese.`,
  'restore.content_missing': (x) =>
    `Dieser Snapshot enthält keine ${{ web: 'Webdateien', db: 'Datenbanken', mail: 'E-Mails' }[p(x, 'content')] ?? p(x, 'content')}.`,
  'restore.everything_needs_full':
    '„Alles wiederherstellen“ ist nur aus einem vollständigen Backup möglich.',
  'restore.database_unknown': 'Wählen Sie eine Ihrer Datenbanken.',
  'restore.mailbox_unknown': 'Wählen Sie eines Ihrer Postfächer.',
  'restore.path_invalid':
    'Wählen Sie eine Datei aus diesem Snapshot, mit ihrem Pfad wie in der Dateiansicht.',
  'restore.safety_mismatch': (x) =>
    `Diese Sicherheitskopie kann nur wiederherstellen, was sie gesichert hat: ${p(x, 'saved')}.`,

  'drill.differs': (x) =>
    `Die Wiederherstellungsprobe fand ${p(x, 'count')} Abweichung(en) vom Backup: ${p(x, 'first')}`,
  'drill.snapshot_gone':
    'Dieser Snapshot wird nicht mehr aufbewahrt und kann daher nicht geprobt werden.',

  'field.required': (x) => `${label(x)} ist erforderlich.`,
  'field.wrong_type': (x) => `${label(x)} hat einen Wert der falschen Art.`,
  'field.too_short': (x) => `${label(x)} muss mindestens ${p(x, 'minimum')} Zeichen lang sein.`,
  'field.too_long': (x) => `${label(x)} darf höchstens ${p(x, 'maximum')} Zeichen lang sein.`,
  'field.too_small': (x) => `${label(x)} muss mindestens ${p(x, 'minimum')} sein.`,
  'field.too_big': (x) => `${label(x)} darf höchstens ${p(x, 'maximum')} sein.`,
  'field.too_few': (x) => `${label(x)} braucht mindestens ${p(x, 'minimum')} Einträge.`,
  'field.too_many': (x) => `${label(x)} erlaubt höchstens ${p(x, 'maximum')} Einträge.`,
  'field.not_allowed': (x) => `${label(x)} muss einer dieser Werte sein: ${p(x, 'values')}.`,
  'field.bad_format': (x) => `${label(x)} hat nicht das richtige Format.`,
  'field.unknown': (x) => `${label(x)} ist kein bekanntes Feld.`,
  'field.invalid': (x) => `${label(x)} ist ungültig.`,
};
