/**
 * The demo's MariaDB side: a minimal client (the `mariadb` command, SQL on stdin, the password
 * in the environment, never in argv) and the databases a customer's sites use: a WordPress
 * schema with a view, triggers, a procedure, a function and an event, and a shop with foreign
 * keys. Rows come from the server's sequence tables, so the SQL stays small and the data is the
 * same on every run.
 */
import { spawn } from 'node:child_process';

export interface MariaDbConnection {
  /** Unix socket; the client's default socket when neither this nor host is given. */
  socketPath?: string;
  host?: string;
  port?: number;
  user: string;
  password?: string;
}

export class MariaDbError extends Error {
  override readonly name = 'MariaDbError';
}

/** Runs SQL (several statements, DELIMITER allowed) and returns the tab-separated output. */
export function runSql(
  conn: MariaDbConnection,
  sqlText: string,
  timeoutMs = 120_000,
): Promise<string> {
  const args = [
    '--batch',
    '--skip-column-names',
    '--default-character-set=utf8mb4',
    '--connect-timeout=5',
    `--user=${conn.user}`,
  ];
  if (conn.socketPath !== undefined) args.push('--protocol=socket', `--socket=${conn.socketPath}`);
  else if (conn.host !== undefined) args.push('--protocol=tcp', `--host=${conn.host}`);
  if (conn.port !== undefined) args.push(`--port=${conn.port}`);
  const env = { ...process.env };
  delete env.MYSQL_PWD;
  if (conn.password !== undefined) env.MYSQL_PWD = conn.password;
  return new Promise((resolve, reject) => {
    const child = spawn('mariadb', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new MariaDbError(`cannot run the mariadb client: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else {
        const stderr = Buffer.concat(err).toString('utf8').trim();
        reject(new MariaDbError(stderr || `mariadb exited with ${signal ?? code}`));
      }
    });
    child.stdin.on('error', () => {}); // a client that fails to connect closes stdin early
    child.stdin.end(sqlText);
  });
}

/** `name` quoted as an identifier. */
export function id(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `text` quoted as a string literal. */
export function str(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * A database name as a GRANT pattern: `_` and `%` are wildcards there, so `hv_alice_wp` unescaped
 * would also grant `hvXaliceYwp`.
 */
export function grantPattern(db: string): string {
  return id(db.replace(/[_%\\]/g, (c) => `\\${c}`));
}

export interface CustomerDatabases {
  user: string;
  password: string;
  /** Database name → which schema it gets. */
  databases: { name: string; kind: 'wordpress' | 'shop'; rows: number }[];
}

/**
 * SQL that (re)creates a customer's databases and database user: everything dropped first, so
 * a second run gives the same result. The user gets every privilege on its own databases and
 * nothing else; views, triggers, routines and events are defined by it, as when the site made
 * them.
 */
export function customerDatabasesSql(c: CustomerDatabases): string {
  const user = `${str(c.user)}@'localhost'`;
  const parts = [
    'SET SESSION sql_mode = DEFAULT;',
    ...c.databases.map((d) => `DROP DATABASE IF EXISTS ${id(d.name)};`),
    `DROP USER IF EXISTS ${user};`,
    `CREATE USER ${user} IDENTIFIED BY ${str(c.password)};`,
    ...c.databases.map((d) => `GRANT ALL PRIVILEGES ON ${grantPattern(d.name)}.* TO ${user};`),
  ];
  for (const d of c.databases) {
    parts.push(
      `CREATE DATABASE ${id(d.name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
      `USE ${id(d.name)};`,
      d.kind === 'wordpress' ? wordpressSql(user, d.rows) : shopSql(user, d.rows),
    );
  }
  return parts.join('\n');
}

function wordpressSql(definer: string, posts: number): string {
  const comments = posts * 2;
  return `
CREATE TABLE wp_users (
  ID bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_login varchar(60) NOT NULL, user_pass varchar(255) NOT NULL, user_email varchar(100) NOT NULL,
  user_registered datetime NOT NULL, display_name varchar(250) NOT NULL, UNIQUE KEY user_login (user_login)
) ENGINE=InnoDB;
CREATE TABLE wp_posts (
  ID bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, post_author bigint unsigned NOT NULL,
  post_date datetime NOT NULL, post_title text NOT NULL, post_content longtext NOT NULL,
  post_status varchar(20) NOT NULL DEFAULT 'publish', post_type varchar(20) NOT NULL DEFAULT 'post',
  comment_count bigint NOT NULL DEFAULT 0, KEY type_status_date (post_type, post_status, post_date)
) ENGINE=InnoDB;
CREATE TABLE wp_postmeta (
  meta_id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, post_id bigint unsigned NOT NULL,
  meta_key varchar(255), meta_value longtext, KEY post_id (post_id)
) ENGINE=InnoDB;
CREATE TABLE wp_comments (
  comment_ID bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, comment_post_ID bigint unsigned NOT NULL,
  comment_author tinytext NOT NULL, comment_date datetime NOT NULL, comment_content text NOT NULL,
  comment_approved varchar(20) NOT NULL DEFAULT '1', KEY comment_post_ID (comment_post_ID)
) ENGINE=InnoDB;
CREATE TABLE wp_options (
  option_id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, option_name varchar(191) NOT NULL,
  option_value longtext NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes', UNIQUE KEY option_name (option_name)
) ENGINE=InnoDB;
CREATE TABLE wp_hv_files (
  id int unsigned NOT NULL PRIMARY KEY, name varchar(255) NOT NULL, data mediumblob NOT NULL
) ENGINE=InnoDB;
CREATE TABLE wp_hv_audit (
  id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, post_id bigint unsigned NOT NULL,
  old_status varchar(20), new_status varchar(20), changed_at datetime NOT NULL
) ENGINE=InnoDB;

CREATE DEFINER=${definer} TRIGGER wp_comments_count AFTER INSERT ON wp_comments FOR EACH ROW
  UPDATE wp_posts SET comment_count = comment_count + 1 WHERE ID = NEW.comment_post_ID;
CREATE DEFINER=${definer} TRIGGER wp_posts_status_audit AFTER UPDATE ON wp_posts FOR EACH ROW
  INSERT INTO wp_hv_audit (post_id, old_status, new_status, changed_at)
  SELECT NEW.ID, OLD.post_status, NEW.post_status, NEW.post_date FROM DUAL WHERE OLD.post_status <> NEW.post_status;

INSERT INTO wp_users (ID, user_login, user_pass, user_email, user_registered, display_name)
  SELECT seq, CONCAT('user', seq), CONCAT('$P$B', LEFT(SHA2(CONCAT('pw', seq), 256), 30)),
         CONCAT('user', seq, '@example.org'), '2024-03-18 09:30:00' + INTERVAL seq DAY,
         ELT(1 + seq % 6, 'Anna Müller', 'Jörg Schäfer', 'Zoë Martin', 'Łukasz Nowak', 'Ines García', 'Admin')
  FROM seq_1_to_20;
INSERT INTO wp_posts (ID, post_author, post_date, post_title, post_content, post_status, post_type)
  SELECT seq, 1 + seq % 20, '2024-04-01 08:00:00' + INTERVAL (seq * 2654435761) % 48000000 SECOND,
         CONCAT(ELT(1 + seq % 5, 'Neue ', 'Unsere ', 'Über ', 'Tipps: ', 'Café-'), 'Beitrag Nr. ', seq),
         CONCAT('<!-- wp:paragraph --><p>', REPEAT(CONCAT('Grüße aus der Backstube — ', SHA2(seq, 256), ' ☕ '), 1 + seq % 8), '</p><!-- /wp:paragraph -->'),
         ELT(1 + seq % 10, 'publish', 'publish', 'publish', 'publish', 'publish', 'publish', 'draft', 'private', 'publish', 'trash'),
         ELT(1 + seq % 7, 'post', 'post', 'post', 'page', 'post', 'attachment', 'post')
  FROM seq_1_to_${posts};
INSERT INTO wp_postmeta (post_id, meta_key, meta_value)
  SELECT 1 + seq % ${posts}, ELT(1 + seq % 4, '_edit_lock', '_thumbnail_id', '_wp_page_template', '_yoast_wpseo_metadesc'),
         CONCAT(seq, ':', LEFT(SHA2(CONCAT('meta', seq), 256), 20 + seq % 40))
  FROM seq_1_to_${posts * 2};
INSERT INTO wp_comments (comment_post_ID, comment_author, comment_date, comment_content, comment_approved)
  SELECT 1 + (seq * 13) % ${posts}, ELT(1 + seq % 5, 'Lena', 'Jonas', 'Ömer', 'François', 'spam-bot'),
         '2024-05-01 10:00:00' + INTERVAL (seq * 104729) % 40000000 SECOND,
         CONCAT('Toller Beitrag! ', LEFT(SHA2(CONCAT('c', seq), 512), 10 + seq % 100)),
         IF(seq % 9 = 0, 'spam', '1')
  FROM seq_1_to_${comments};
INSERT INTO wp_options (option_name, option_value, autoload)
  SELECT CONCAT(ELT(1 + seq % 5, 'widget_', 'theme_mods_', '_transient_', 'wpseo_', 'cron_'), seq),
         CONCAT('a:1:{s:5:"value";s:64:"', SHA2(CONCAT('o', seq), 256), '";}'), IF(seq % 3 = 0, 'no', 'yes')
  FROM seq_1_to_150;
INSERT INTO wp_options (option_name, option_value) VALUES ('siteurl', 'https://example.org'), ('blogname', 'Café & Bäckerei ''Zum Glück''');
-- Binary data with NUL bytes, quotes and backslashes: a dump must carry them unchanged.
INSERT INTO wp_hv_files (id, name, data)
  SELECT seq, CONCAT('blob-', seq, '.bin'), CONCAT(0x00275C0A0D1A22, REPEAT(UNHEX(SHA2(CONCAT('b', seq), 512)), 1 + seq % 64))
  FROM seq_1_to_200;
UPDATE wp_posts SET post_status = 'publish' WHERE post_status = 'draft' AND ID % 3 = 0;

CREATE DEFINER=${definer} SQL SECURITY DEFINER VIEW wp_published_posts AS
  SELECT ID, post_title, post_date, comment_count FROM wp_posts WHERE post_status = 'publish' AND post_type = 'post';
DELIMITER //
CREATE DEFINER=${definer} PROCEDURE wp_posts_per_month(IN in_year INT)
READS SQL DATA
BEGIN
  SELECT MONTH(post_date) AS month, COUNT(*) AS posts FROM wp_posts
  WHERE YEAR(post_date) = in_year AND post_status = 'publish' GROUP BY MONTH(post_date) ORDER BY month;
END //
CREATE DEFINER=${definer} FUNCTION wp_comment_total(in_post BIGINT UNSIGNED) RETURNS BIGINT
READS SQL DATA
BEGIN
  RETURN (SELECT COUNT(*) FROM wp_comments WHERE comment_post_ID = in_post);
END //
DELIMITER ;
CREATE DEFINER=${definer} EVENT wp_purge_transients ON SCHEDULE EVERY 1 DAY STARTS '2025-01-01 03:00:00'
  ON COMPLETION PRESERVE DISABLE DO DELETE FROM wp_options WHERE option_name LIKE '\\_transient\\_%';
`;
}

function shopSql(definer: string, orders: number): string {
  return `
CREATE TABLE products (
  id int unsigned NOT NULL PRIMARY KEY, sku varchar(32) NOT NULL UNIQUE, name varchar(200) NOT NULL,
  price decimal(10,2) NOT NULL, stock int NOT NULL, image mediumblob
) ENGINE=InnoDB;
CREATE TABLE customers (
  id int unsigned NOT NULL PRIMARY KEY, email varchar(200) NOT NULL UNIQUE, name varchar(200) NOT NULL,
  city varchar(100) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE orders (
  id int unsigned NOT NULL PRIMARY KEY, customer_id int unsigned NOT NULL, placed_at datetime NOT NULL,
  status enum('new','paid','shipped','cancelled') NOT NULL,
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;
CREATE TABLE order_items (
  order_id int unsigned NOT NULL, line smallint unsigned NOT NULL, product_id int unsigned NOT NULL,
  quantity int NOT NULL, unit_price decimal(10,2) NOT NULL, PRIMARY KEY (order_id, line),
  CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
  CONSTRAINT items_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;

CREATE DEFINER=${definer} TRIGGER order_items_stock AFTER INSERT ON order_items FOR EACH ROW
  UPDATE products SET stock = stock - NEW.quantity WHERE id = NEW.product_id;

INSERT INTO products (id, sku, name, price, stock, image)
  SELECT seq, CONCAT('BK-', LPAD(seq, 5, '0')),
         CONCAT(ELT(1 + seq % 6, 'City-Rad ', 'E-Bike ', 'Schlauch ', 'Kette ', 'Sattel „Komfort“ ', 'Helm '), seq),
         ROUND(5 + (seq * 37) % 2500 + (seq % 100) / 100, 2), 10000, UNHEX(SHA2(CONCAT('img', seq), 512))
  FROM seq_1_to_400;
INSERT INTO customers (id, email, name, city)
  SELECT seq, CONCAT('kunde', seq, '@example.com'),
         CONCAT(ELT(1 + seq % 5, 'Jürgen', 'Maëlle', 'Søren', 'Ayşe', 'Paul'), ' ', ELT(1 + seq % 4, 'Groß', 'Weiß', 'Nguyễn', 'O''Brien')),
         ELT(1 + seq % 5, 'Köln', 'München', 'Zürich', 'Wien', 'Düsseldorf')
  FROM seq_1_to_600;
INSERT INTO orders (id, customer_id, placed_at, status)
  SELECT seq, 1 + (seq * 7) % 600, '2024-06-01 09:00:00' + INTERVAL (seq * 15485863) % 45000000 SECOND,
         ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled')
  FROM seq_1_to_${orders};
INSERT INTO order_items (order_id, line, product_id, quantity, unit_price)
  SELECT o.seq, l.seq, 1 + (o.seq * 31 + l.seq * 17) % 400, 1 + (o.seq + l.seq) % 3, 9.99 + (o.seq % 50)
  FROM seq_1_to_${orders} o JOIN seq_1_to_3 l ON l.seq <= 1 + o.seq % 3;

CREATE DEFINER=${definer} SQL SECURITY DEFINER VIEW order_totals AS
  SELECT o.id AS order_id, o.customer_id, o.status, SUM(i.quantity * i.unit_price) AS total
  FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id, o.customer_id, o.status;
DELIMITER //
CREATE DEFINER=${definer} PROCEDURE restock(IN in_product INT UNSIGNED, IN in_amount INT)
MODIFIES SQL DATA
BEGIN
  UPDATE products SET stock = stock + in_amount WHERE id = in_product;
  SELECT stock FROM products WHERE id = in_product;
END //
DELIMITER ;
`;
}
