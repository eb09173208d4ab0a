import { createCipheriv, randomBytes } from 'node:crypto';

// rclone's fixed "obscure" key. Obscuring is not encryption (anyone can reveal it); rclone simply
// insists on this form for passwords in its config, and computing it here keeps the password out
// of the argv that `rclone obscure <password>` would need.
const RCLONE_OBSCURE_KEY = Buffer.from(
  '9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638',
  'hex',
);

export function rcloneObscure(plain: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', RCLONE_OBSCURE_KEY, iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64url');
}
