import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DumpRejectedError,
  DumpSanitizer,
  splitStatements,
  type RawStatement,
  type SanitizeContext,
} from './sanitize.js';

const ctx: SanitizeContext = {
  target: 'shop',
  definer: '`hv_c1`@`localhost`',
  allowedDatabases: ['shop', 'blog'],
  knownSchemas: ['shop', 'blog', 'other', 'mysql', 'information_schema'],
};

async function split(text: string, chunk = 1 << 16): Promise<RawStatement[]> {
  async function* chunks(): AsyncGenerator<string> {
    for (let i = 0; i < text.length; i += chunk) yield text.slice(i, i + chunk);
  }
  const out: RawStatement[] = [];
  for await (const s of splitStatements(chunks())) out.push(s);
  return out;
}

async function sanitize(text: string): Promise<string[]> {
  const sanitizer = new DumpSanitizer(ctx);
  const out: string[] = [];
  for (const statement of await split(text)) {
    const result = sanitizer.process(statement);
    if (result !== null) out.push(result);
  }
  return out;
}

async function rejected(text: string): Promise<DumpRejectedError> {
  try {
    await sanitize(text);
  } catch (error) {
    assert.ok(error instanceof DumpRejectedError, String(error));
    return error;
  }
  assert.fail(`not rejected: ${text}`);
}

const DUMP = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS \`t\`;
CREATE TABLE \`t\` (\`id\` int NOT NULL, \`s\` text, PRIMARY KEY (\`id\`)) ENGINE=InnoDB;
INSERT INTO \`t\` VALUES (1,'a;b'),(2,'it\\'s -- not a comment'),(3,'x'';DROP DATABASE other;'),(4,"q\\"; ;;");
/*!50003 SET sql_mode = 'STRICT_TRANS_TABLES' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`localhost\`*/ /*!50003 TRIGGER trg AFTER INSERT ON t FOR EACH ROW BEGIN INSERT INTO log VALUES (NEW.id); END */;;
CREATE DEFINER='root'@'%' PROCEDURE \`p\`()
BEGIN
  SELECT COUNT(*) FROM t; -- a ; in a comment
  SELECT 'DELIMITER ;' ;
END ;;
DELIMITER ;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=root@localhost SQL SECURITY DEFINER */
/*!50001 VIEW \`v\` AS select \`t\`.\`id\` AS \`id\` from \`t\` join \`blog\`.\`posts\` */;
-- Dump completed`;

describe('splitStatements', () => {
  it('splits like the client: delimiters, quotes, comments, whatever the chunk size', async () => {
    const whole = await split(DUMP);
    assert.equal(whole.length, 9);
    assert.match(whole[4]!.text, /^INSERT INTO `t` VALUES \(1,'a;b'\)/);
    assert.equal(whole[4]!.line, 7);
    assert.match(whole[6]!.text, /^\/\*!50003 CREATE\*\/.*END \*\/$/s);
    assert.match(whole[7]!.text, /^CREATE DEFINER='root'@'%' PROCEDURE `p`\(\)\nBEGIN.*END $/s);
    assert.equal(whole[7]!.line, 11);
    for (const size of [1, 2, 3, 5, 17]) {
      assert.deepEqual(await split(DUMP, size), whole, `chunk size ${size}`);
    }
  });

  it('refuses a quote that is never closed', async () => {
    await assert.rejects(split("INSERT INTO t VALUES ('abc);\n"), /never closed/);
  });
});

describe('DumpSanitizer', () => {
  it('rewrites every DEFINER to the owner account and keeps the rest byte for byte', async () => {
    const out = await sanitize(DUMP);
    const joined = out.join('\n');
    assert.doesNotMatch(joined, /root/);
    assert.equal(joined.match(/DEFINER=`hv_c1`@`localhost`/g)?.length, 3);
    assert.match(joined, /SQL SECURITY DEFINER/);
    assert.ok(
      out.includes(
        "INSERT INTO `t` VALUES (1,'a;b'),(2,'it\\'s -- not a comment'),(3,'x'';DROP DATABASE other;'),(4,\"q\\\"; ;;\")",
      ),
    );
  });

  it('rewrites CURRENT_USER and spaced definers', async () => {
    const [a] = await sanitize(
      'CREATE DEFINER = CURRENT_USER() EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1;',
    );
    assert.equal(
      a,
      'CREATE DEFINER = `hv_c1`@`localhost` EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1',
    );
    const [b] = await sanitize("ALTER DEFINER='x' @ 'h' VIEW v AS SELECT 1;");
    assert.equal(b, 'ALTER DEFINER=`hv_c1`@`localhost` VIEW v AS SELECT 1');
  });

  it('drops USE and CREATE DATABASE of the dump’s own database and retargets ALTER DATABASE', async () => {
    const out = await sanitize(
      'CREATE DATABASE /*!32312 IF NOT EXISTS*/ `oldname` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\nUSE `oldname`;\nCREATE TABLE t (id int);\n/*!50003 ALTER DATABASE `oldname` CHARACTER SET latin1 */;\nUSE shop;',
    );
    assert.deepEqual(out, [
      'CREATE TABLE t (id int)',
      '/*!50003 ALTER DATABASE `shop` CHARACTER SET latin1 */',
    ]);
  });

  it('lets views and routines read the customer’s other databases, but no one else’s', async () => {
    await sanitize('CREATE VIEW v AS SELECT * FROM blog.posts JOIN information_schema.TABLES;');
    await sanitize('CREATE TABLE c (p INT, FOREIGN KEY (p) REFERENCES `blog`.`posts` (`id`));');
    await rejected('CREATE TABLE c (p INT, FOREIGN KEY (p) REFERENCES `other`.`t` (`id`));');
    const e = await rejected('CREATE PROCEDURE p() BEGIN\n  DELETE FROM other.secret;\nEND;');
    assert.equal(e.line, 2);
    assert.match(e.message, /database other/);
    await rejected('CREATE TRIGGER other.trg BEFORE INSERT ON t FOR EACH ROW SET @a = 1;');
    await rejected('CREATE TRIGGER trg BEFORE INSERT ON `mysql`.`user` FOR EACH ROW SET @a = 1;');
  });

  const refused: [string, RegExp][] = [
    ['DROP DATABASE other;', /DROP DATABASE/],
    ['USE mysql;\nUPDATE user SET Password = PASSWORD("x");', /mysql/],
    ['USE other;', /other/],
    ['USE oldname;\nUSE shop;\nUSE another;', /second database/],
    ['CREATE TABLE other_db.x (id int);', /other_db/],
    ['CREATE TABLE blog.x (id int);', /database blog/],
    ["INSERT INTO mysql.user VALUES ('%','evil','');", /database mysql/],
    ["INSERT INTO `mysql` . `global_priv` VALUES ('%','evil','{}');", /database mysql/],
    ["GRANT ALL PRIVILEGES ON *.* TO 'hv_c1'@'localhost';", /GRANT/],
    ["CREATE USER evil IDENTIFIED BY 'x';", /CREATE USER/],
    ["SET PASSWORD FOR root@localhost = PASSWORD('x');", /SET PASSWORD/],
    ['SET GLOBAL general_log = 1;', /global/i],
    ['SET @@global.event_scheduler = ON;', /GLOBAL/],
    ["LOAD DATA LOCAL INFILE '/etc/shadow' INTO TABLE t;", /LOAD DATA/],
    ["SELECT * FROM t INTO OUTFILE '/tmp/x';", /OUTFILE/],
    ["SELECT LOAD_FILE('/etc/shadow');", /LOAD_FILE/],
    ['\\! touch /tmp/pwned', /backslash/],
    ['system touch /tmp/pwned;', /not allowed/],
    ['SELECT 1\nDELIMITER x\nSELECT 2;', /DELIMITER/],
    ['SET NAMES gbk;', /gbk/],
    ["SET sql_mode = 'ANSI_QUOTES';", /ANSI_QUOTES/],
    ["SET sql_mode = CONCAT('NO_BACKSLASH', '_ESCAPES');", /plain text/],
    ['SET character_set_client = @evil;', /did not see saved/],
    ["CREATE FUNCTION f RETURNS STRING SONAME 'x.so';", /SONAME/],
    ["CREATE TABLE f (id int) ENGINE=CONNECT TABLE_TYPE=CSV FILE_NAME='/etc/passwd';", /CONNECT/],
    ["CREATE TABLE d (id int) DATA DIRECTORY = '/var/lib/mysql/mysql';", /DATA DIRECTORY/],
    ['CALL other.p();', /CALL|other/],
    [
      'CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET @a = 1; DROP DATABASE other',
      /DROP DATABASE/,
    ],
    ['SET @a = 1; GRANT ALL ON *.* TO x', /GRANT/],
    ['BEGIN NOT ATOMIC DELETE FROM other.t; END;', /compound|other/],
    ['SHUTDOWN;', /SHUTDOWN/],
    ['/*!50001 SET @a = 1', /never closed/],
  ];
  for (const [statement, reason] of refused) {
    it(`refuses ${JSON.stringify(statement.slice(0, 60))}`, async () => {
      const e = await rejected(statement);
      assert.match(e.message, reason);
    });
  }

  it('accepts the session settings mariadb-dump writes', async () => {
    const out =
      await sanitize(`/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET character_set_client  = utf8mb3 */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
SET TIME_ZONE='+00:00';
DO SETVAL(\`s\`, 1, 0);
LOCK TABLES \`t\` WRITE;
UNLOCK TABLES;`);
    assert.equal(out.length, 9);
  });
});
