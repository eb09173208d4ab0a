/**
 * The demo's system side: Linux users for the customers, self-signed certificates made with
 * openssl, and the Nginx and PHP-FPM snippets a panel would write.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LinuxUser {
  name: string;
  uid: number;
  gid: number;
  /** Created by this run (false: it existed, or could not be made). */
  created: boolean;
}

export async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const fields = stdout.trim().split(':');
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

/**
 * Finds or creates a system user (no home, no login shell) with a group of the same name. Two
 * runs at once may race on /etc/passwd: useradd then fails ("cannot lock", or "already
 * exists"), so look again and retry.
 */
export async function ensureLinuxUser(name: string, comment: string): Promise<LinuxUser> {
  for (let attempt = 0; ; attempt++) {
    const found = await lookupUser(name);
    if (found !== undefined) return { name, ...found, created: false };
    try {
      await run('useradd', [
        '--system',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        '--user-group',
        '--comment',
        comment,
        name,
      ]);
      const made = await lookupUser(name);
      if (made !== undefined) return { name, ...made, created: true };
    } catch (error) {
      if (attempt >= 10) {
        const stderr = (error as { stderr?: string }).stderr?.trim();
        throw new Error(
          `cannot create the Linux user ${name}: ${stderr || (error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
}

/**
 * A self-signed certificate (EC P-256, ten years) for the domain and its www name. Kept when both
 * files exist, so a second run leaves them alone.
 */
export async function ensureCertificate(
  certFile: string,
  keyFile: string,
  domain: string,
  organization: string,
): Promise<boolean> {
  if (existsSync(certFile) && existsSync(keyFile)) return false;
  const tmpCert = `${certFile}.tmp-${process.pid}`;
  const tmpKey = `${keyFile}.tmp-${process.pid}`;
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-sha256',
      '-days',
      '3650',
      '-keyout',
      tmpKey,
      '-out',
      tmpCert,
      '-subj',
      `/CN=${domain}/O=${organization.replace(/[/=]/g, ' ')}`,
      '-addext',
      `subjectAltName=DNS:${domain},DNS:www.${domain}`,
    ]);
    await rename(tmpKey, keyFile);
    await rename(tmpCert, certFile);
    return true;
  } finally {
    await rm(tmpCert, { force: true });
    await rm(tmpKey, { force: true });
  }
}

export function nginxVhost(opts: {
  domain: string;
  webRoot: string;
  certFile: string;
  keyFile: string;
  fpmSocket: string;
  logDir: string;
}): string {
  const { domain } = opts;
  return `# ${domain}: written by the hosting panel
server {
    listen 80;
    listen [::]:80;
    server_name ${domain} www.${domain};
    return 301 https://${domain}$request_uri;
}

server {
    listen 443 ssl;
    listen [::]:443 ssl;
    http2 on;
    server_name ${domain} www.${domain};

    root ${opts.webRoot};
    index index.php index.html;

    ssl_certificate     ${opts.certFile};
    ssl_certificate_key ${opts.keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;

    access_log ${opts.logDir}/${domain}.access.log;
    error_log  ${opts.logDir}/${domain}.error.log;

    client_max_body_size 64m;

    location / {
        try_files $uri $uri/ /index.php?$args;
    }

    location ~ /\\.(?!well-known) {
        deny all;
    }

    location ~* /wp-content/uploads/.*\\.php$ {
        deny all;
    }

    location ~ \\.php$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:${opts.fpmSocket};
    }

    location ~* \\.(css|js|png|jpe?g|gif|svg|woff2?)$ {
        expires 30d;
        access_log off;
    }
}
`;
}

export function phpFpmPool(opts: {
  pool: string;
  user: string;
  group: string;
  socket: string;
  webRoot: string;
}): string {
  return `; ${opts.pool}: written by the hosting panel
[${opts.pool}]
user = ${opts.user}
group = ${opts.group}
listen = ${opts.socket}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660

pm = ondemand
pm.max_children = 8
pm.process_idle_timeout = 30s
pm.max_requests = 500

chdir = ${opts.webRoot}
php_admin_value[open_basedir] = ${opts.webRoot}:/tmp:/usr/share/php
php_admin_value[upload_max_filesize] = 64M
php_admin_value[post_max_size] = 64M
php_admin_flag[log_errors] = on
php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen
`;
}
