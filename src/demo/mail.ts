/**
 * Maildir++ mailboxes as Dovecot keeps them (INBOX in cur/new/tmp, folders as .Sent, .Trash…,
 * dovecot-uidlist, file names carrying size and flags), with RFC 822 messages, some with
 * attachments; and a Sieve directory with scripts and the active-script link.
 */
import {
  binary,
  binaryLength,
  lazyText,
  sentence,
  title,
  word,
  type LazyBytes,
} from './content.js';
import { Rng } from './random.js';
import type { Owner, Planned } from './tree.js';

export interface MailboxSpec {
  address: string;
  displayName: string;
  owner: Owner;
  /** Messages in the INBOX; the folders get proportionate numbers. */
  messages: number;
  seed: string;
}

const HOST = 'mx1.hostvault.example';
const FOLDERS: [string, number][] = [
  ['Sent', 0.3],
  ['Drafts', 0.02],
  ['Trash', 0.08],
  ['Junk', 0.1],
  ['Archive.2024', 0.5],
];

const SENDERS = [
  ['Lena Hoffmann', 'lena.hoffmann@example.org'],
  ['Jonas Becker', 'j.becker@example.net'],
  ['Marta Nowak', 'marta@nowak.example'],
  ['Supplier Orders', 'orders@mehl-grosshandel.example'],
  ['PayPal', 'service@paypal.example'],
  ['Stadtwerke', 'rechnung@stadtwerke.example'],
  ['Ömer Yılmaz', 'oemer.yilmaz@example.com'],
  ['François Dubois', 'f.dubois@example.fr'],
  ['Newsletter', 'news@newsletter.example'],
] as const;

export interface MailStats {
  messages: number;
}

/** The plan of a Maildir, relative to it (the Maildir itself is ''). */
export function planMaildir(spec: MailboxSpec): { plan: Planned[]; messages: number } {
  const rng = new Rng(`mail:${spec.seed}:${spec.address}`);
  const plan: Planned[] = [];
  const created = Math.floor(Date.parse('2024-03-18T10:00:00Z') / 1000);
  const dir = (path: string, mtime: number) =>
    plan.push({ type: 'dir', path, mode: 0o700, mtime, ...spec.owner });
  const file = (path: string, content: Buffer | LazyBytes | string, mtime: number) =>
    plan.push({
      type: 'file',
      path,
      mode: 0o600,
      mtime,
      content: typeof content === 'string' ? lazyText(content) : content,
      ...spec.owner,
    });

  let total = 0;
  const folder = (prefix: string, count: number, unread: number, sent: boolean) => {
    const base = (p: string) => (prefix === '' ? p : `${prefix}/${p}`);
    if (prefix !== '') dir(prefix, created);
    for (const sub of ['cur', 'new', 'tmp']) dir(base(sub), created);
    if (prefix !== '') file(base('maildirfolder'), '', created);
    const uids: string[] = [];
    let when = Math.floor(Date.parse('2024-06-01T07:00:00Z') / 1000);
    for (let i = 0; i < count; i++) {
      when += rng.int(600, 3 * 86_400);
      const message = rfc822(rng, spec, when, sent);
      const lines = message.toString('latin1').split('\n').length - 1;
      const unique = `${when}.M${rng.int(100_000, 999_999)}P${rng.int(1000, 60_000)}.${HOST}`;
      const sizes = `,S=${message.length},W=${message.length + lines}`;
      const isNew = i >= count - unread;
      const flags = sent ? 'S' : rng.pick(['S', 'S', 'S', 'RS', 'FS', '']);
      const name = isNew ? `${unique}${sizes}` : `${unique}${sizes}:2,${flags}`;
      file(base(`${isNew ? 'new' : 'cur'}/${name}`), message, when);
      uids.push(`${i + 1} ${unique}${sizes}`);
      total++;
    }
    const validity = created + (prefix === '' ? 0 : prefix.length);
    file(
      base('dovecot-uidlist'),
      `3 V${validity} N${count + 1} G${rng.int(0, 0xffffffff).toString(16).padStart(8, '0')}${rng.int(0, 0xffffffff).toString(16).padStart(8, '0')}\n${uids.join('\n')}${uids.length > 0 ? '\n' : ''}`,
      when,
    );
    file(
      base('dovecot.index.cache'),
      binary(`${spec.seed}:${spec.address}:${prefix}:cache`, 'bin', 1024 + count * 96),
      when,
    );
  };

  dir('', created);
  folder('', spec.messages, Math.min(5, Math.ceil(spec.messages / 30)), false);
  for (const [name, share] of FOLDERS) {
    folder(
      `.${name}`,
      Math.max(1, Math.round(spec.messages * share)),
      0,
      name === 'Sent' || name === 'Drafts',
    );
  }
  file('subscriptions', `${FOLDERS.map(([n]) => n).join('\n')}\n`, created);
  file('dovecot-uidvalidity', `${created.toString(16)}\n`, created);
  file(`dovecot-uidvalidity.${created.toString(16)}`, '', created);
  return { plan, messages: total };
}

function rfc822(rng: Rng, spec: MailboxSpec, when: number, sent: boolean): Buffer | LazyBytes {
  const [name, address] = rng.pick(SENDERS);
  const [from, to] = sent
    ? [`"${spec.displayName}" <${spec.address}>`, `"${name}" <${address}>`]
    : [`"${name}" <${address}>`, spec.address];
  const date = rfc2822Date(when);
  const id = `${rng.int(0, 0xffffffff).toString(16)}.${when}@${(sent ? spec.address : address).split('@')[1]}`;
  const subject = rng.chance(0.3)
    ? `=?UTF-8?B?${Buffer.from(`${rng.pick(['Bestellung', 'Rückfrage', 'Grüße aus Zürich', 'Angebot für Ihr Café'])} ${rng.int(1000, 9999)}`).toString('base64')}?=`
    : `${rng.pick(['Re: ', 'Fwd: ', '', '', ''])}${title(rng, rng.int(2, 5))}`;
  const body = Array.from({ length: rng.int(2, 12) }, () => sentence(rng, true)).join('\n\n');
  const headers = [
    `Return-Path: <${sent ? spec.address : address}>`,
    `Delivered-To: ${spec.address}`,
    `Received: from mail.${address.split('@')[1]} (mail.${address.split('@')[1]} [192.0.2.${rng.int(1, 254)}])`,
    `\tby ${HOST} (Postfix) with ESMTPS id ${rng.int(0, 0xfffffff).toString(16).toUpperCase()}`,
    `\tfor <${spec.address}>; ${date}`,
    `Message-ID: <${id}>`,
    `Date: ${date}`,
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
  ];
  if (!rng.chance(0.15)) {
    headers.push('Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit');
    return Buffer.from(`${headers.join('\n')}\n\n${body}\n`);
  }
  const boundary = `----=_Part_${rng.int(0, 1e9)}`;
  const seed = `${spec.seed}:${id}`;
  const size = rng.logInt(8_000, 400_000);
  const file = `${word(rng)}-${rng.int(100, 999)}.pdf`;
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const before =
    `${headers.join('\n')}\n\nThis is a multi-part message in MIME format.\n\n--${boundary}\n` +
    `Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n${body}\n\n` +
    `--${boundary}\nContent-Type: application/pdf; name="${file}"\nContent-Transfer-Encoding: base64\n` +
    `Content-Disposition: attachment; filename="${file}"\n\n`;
  const after = `\n--${boundary}--\n`;
  // The attachment (most of the mail's bytes) is made only when the file is written; its length
  // is known before: base64 of n bytes is 4·⌈n/3⌉ characters, with a newline after every 76.
  const b64Length = 4 * Math.ceil(binaryLength('pdf', size) / 3);
  return {
    length:
      Buffer.byteLength(before) + b64Length + Math.floor(b64Length / 76) + Buffer.byteLength(after),
    bytes: () =>
      Buffer.from(
        before + binary(seed, 'pdf', size).toString('base64').replace(/.{76}/g, '$&\n') + after,
      ),
  };
}

function rfc2822Date(seconds: number): string {
  // e.g. "Tue, 14 Oct 2025 09:12:31 +0000"
  return new Date(seconds * 1000).toUTCString().replace('GMT', '+0000');
}

/** The plan of a Sieve directory, relative to it. */
export function planSieve(spec: { address: string; owner: Owner; seed: string }): Planned[] {
  const mtime = Math.floor(Date.parse('2024-09-02T16:20:00Z') / 1000);
  const owner = spec.owner;
  const file = (path: string, content: string | Buffer): Planned => ({
    type: 'file',
    path,
    mode: 0o600,
    mtime,
    content: typeof content === 'string' ? lazyText(content) : content,
    ...owner,
  });
  return [
    { type: 'dir', path: '', mode: 0o700, mtime, ...owner },
    file(
      'default.sieve',
      `require ["fileinto", "envelope", "mailbox", "vacation", "include"];\n\n` +
        `# Spam goes to Junk\nif header :contains "X-Spam-Flag" "YES" {\n  fileinto :create "Junk";\n  stop;\n}\n\n` +
        `# Invoices into their own folder\nif anyof (header :contains "subject" ["Rechnung", "Invoice"],\n          address :domain "from" "stadtwerke.example") {\n  fileinto :create "Archive.2024";\n}\n\n` +
        `include :personal "vacation";\n`,
    ),
    file(
      'vacation.sieve',
      `require ["vacation"];\n\n# Off until further notice\nvacation :days 3 :subject "Abwesenheit / Out of office"\n  :addresses ["${spec.address}"]\n  "Vielen Dank für Ihre Nachricht. Ich bin ab Montag wieder erreichbar.";\n`,
    ),
    file('default.svbin', binary(`${spec.seed}:${spec.address}:svbin`, 'svbin', 1480)),
    // The active script, as ManageSieve sets it: a relative link inside the directory.
    { type: 'symlink', path: '.dovecot.sieve', target: 'default.sieve', mtime, ...owner },
  ];
}
