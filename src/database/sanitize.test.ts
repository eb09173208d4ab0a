import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DumpRejectedError,
  DumpSanitizer,
  splitStatements,
  type RawStatement,
  type SanitizeContext,
} from './sanitize/index.js';

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
    ['SET character_set_client = @evil;', /never saved/],
    ["SET NAMES utf8mb4, sql_mode = 'ANSI_QUOTES';", /ANSI_QUOTES/],
    ["SET NAMES utf8mb4 COLLATE utf8mb4_bin, sql_mode = 'NO_BACKSLASH_ESCAPES';", /NO_BACKSLASH/],
    ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED, sql_mode = 'ANSI_QUOTES';", /TRANSACTION/],
    ['SET sql_mode = @@SESSION.sql_mode; SELECT 1;', /plain text/],
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

describe('DumpSanitizer: session settings restored from user variables (issue 10, point 9)', () => {
  const save = '/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */;\n';
  const hidden = "INSERT INTO t VALUES ('\\'); DROP TABLE t; -- ');\n";
  // Each overwrites the saved @OLD_SQL_MODE (or @c) after it was saved, then restores from it.
  const blinded: [string, string][] = [
    [
      'the attack: SELECT … INTO',
      `${save}SELECT 'NO_BACKSLASH_ESCAPES' INTO @OLD_SQL_MODE;\nSET sql_mode = @OLD_SQL_MODE;\n${hidden}`,
    ],
    [
      'SELECT … INTO a list',
      `${save}SELECT 1, 'ANSI_QUOTES' INTO @x, @OLD_SQL_MODE;\nSET SQL_MODE=@OLD_SQL_MODE;\n`,
    ],
    [
      'SELECT … INTO with another spelling of the name',
      `${save}SELECT 'NO_BACKSLASH_ESCAPES' INTO @\`old_sql_mode\`;\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      '@v := in a SELECT',
      `${save}SELECT @OLD_SQL_MODE := 'NO_BACKSLASH_ESCAPES';\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      '@v := in a DO',
      `${save}DO (@'OLD_SQL_MODE' := 'NO_BACKSLASH_ESCAPES');\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      '@v := inside another SET',
      `${save}SET @x = (@OLD_SQL_MODE := 'NO_BACKSLASH_ESCAPES');\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      'SET @v := …',
      `${save}SET @OLD_SQL_MODE := 'NO_BACKSLASH_ESCAPES';\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      '@v := in the rows of an UPDATE',
      `${save}UPDATE t SET s = (@OLD_SQL_MODE := 'NO_BACKSLASH_ESCAPES');\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      'a trigger created before the save that sets it when it fires',
      `CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET @OLD_SQL_MODE = 'NO_BACKSLASH_ESCAPES';\n${save}INSERT INTO t VALUES (1,'x');\nSET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      'a procedure body',
      `DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 'ANSI_QUOTES' INTO @OLD_SQL_MODE; END;;\nDELIMITER ;\n${save}SET sql_mode = @OLD_SQL_MODE;\n`,
    ],
    [
      'character_set_client',
      `SET @c = @@character_set_client;\nSELECT 'gbk' INTO @c;\nSET character_set_client = @c;\n`,
    ],
    [
      'character_set_client from a variable saved from sql_mode',
      `SET @c = @@sql_mode;\nSET character_set_client = @c;\n`,
    ],
    [
      'character_set_connection from a variable never saved',
      `SET character_set_connection = @nowhere;\n`,
    ],
  ];
  for (const [name, text] of blinded) {
    it(`refuses ${name}`, async () => {
      const e = await rejected(text);
      assert.match(e.message, /(sql_mode|character_set_\w+) is set from @\S+, which/);
    });
  }

  it('refuses a variable changed behind SET NAMES', async () => {
    const e = await rejected(
      `${save}SET NAMES utf8mb4, @OLD_SQL_MODE = 'NO_BACKSLASH_ESCAPES';\nSET sql_mode = @OLD_SQL_MODE;\n`,
    );
    assert.match(
      e.message,
      /line 3: sql_mode is set from @OLD_SQL_MODE, which may have been changed at line 2/,
    );
  });

  it('refuses a statement after the restore in the same statement text', async () => {
    const e = await rejected(
      `${save}DELIMITER ;;\nSET sql_mode = @OLD_SQL_MODE; ${hidden.trim()};;\nDELIMITER ;\n`,
    );
    assert.match(e.message, /must come after the next delimiter/);
  });

  it('still accepts a variable saved again after it was changed', async () => {
    const out = await sanitize(
      `${save}SELECT 'NO_BACKSLASH_ESCAPES' INTO @OLD_SQL_MODE;\n${save}SET sql_mode = @OLD_SQL_MODE;\n`,
    );
    assert.equal(out.length, 4);
  });

  it('follows every restore from a variable with a check the server makes', async () => {
    const out = await sanitize(
      `${save}SET sql_mode = @OLD_SQL_MODE;\nSET @c = @@character_set_client;\nSET character_set_client = @c;\n`,
    );
    // The server refuses the statement when the value it got from the variable would change how
    // the dump is read, whatever code this check could not see changed the variable.
    assert.match(
      out[1]!,
      /SET sql_mode = @OLD_SQL_MODE;\nSET SESSION sql_mode = CASE WHEN .*'NO_BACKSLASH_ESCAPES'.* THEN 'HOSTVAULT_REFUSED_SQL_MODE' ELSE @@SESSION\.sql_mode END$/s,
    );
    assert.match(
      out[3]!,
      /SET character_set_client = @c;\nSET SESSION character_set_client = CASE WHEN @@SESSION\.character_set_client IN \(.*\) THEN @@SESSION\.character_set_client ELSE 'hostvault_refused' END$/s,
    );
    // DEFAULT is the server's global value, which the check cannot see either.
    const defaults = await sanitize('SET sql_mode = DEFAULT;\nSET NAMES DEFAULT;\n');
    assert.match(defaults[0]!, /\nSET SESSION sql_mode = CASE WHEN/);
    assert.match(defaults[1]!, /\nSET SESSION character_set_client = CASE WHEN/);
  });
});

describe('DumpSanitizer: staging a restore beside the live database', () => {
  const staged: SanitizeContext = {
    ...ctx,
    target: 'hvr_1234_n_shop',
    alias: 'shop',
    allowedDatabases: ['shop', 'blog', 'hvr_1234_n_shop'],
    disableEvents: true,
    countRowsOf: ['t'],
  };
  const run = async (text: string) => {
    const sanitizer = new DumpSanitizer(staged);
    const out: string[] = [];
    for (const statement of await split(text)) {
      const result = sanitizer.process(statement);
      if (result !== null) out.push(result);
    }
    return { out, sanitizer };
  };

  it('points names qualified with the live database at the staging database', async () => {
    const { out } = await run(
      'USE `shop`;\nINSERT INTO `shop`.`t` SELECT * FROM shop.u;\nCREATE VIEW v AS SELECT shop.t.id, `shop` FROM `shop`.t JOIN blog.p;\n',
    );
    assert.deepEqual(out, [
      'INSERT INTO `hvr_1234_n_shop`.`t` SELECT * FROM `hvr_1234_n_shop`.u',
      'CREATE VIEW v AS SELECT `hvr_1234_n_shop`.t.id, `shop` FROM `hvr_1234_n_shop`.t JOIN blog.p',
    ]);
  });

  it('creates events disabled and keeps the status each had', async () => {
    const { out, sanitizer } = await run(`DELIMITER ;;
/*!50106 CREATE*/ /*!50117 DEFINER=\`root\`@\`localhost\`*/ /*!50106 EVENT \`nightly\` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM t WHERE id < 0 */ ;;
CREATE EVENT plain ON SCHEDULE EVERY (1 + 1) HOUR DO BEGIN UPDATE t SET s = 'ENABLE'; END ;;
CREATE EVENT off ON SCHEDULE EVERY 1 DAY DISABLE ON SLAVE COMMENT 'x' DO DELETE FROM t ;;
CREATE EVENT was_off ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM t ;;
ALTER EVENT was_off RENAME TO renamed ENABLE ;;
DELIMITER ;
`);
    assert.match(out[0]!, /ON COMPLETION NOT PRESERVE DISABLE DO DELETE/);
    assert.match(
      out[1]!,
      /EVERY \(1 \+ 1\) HOUR DISABLE DO BEGIN UPDATE t SET s = 'ENABLE'; END $/,
    );
    assert.match(out[2]!, /EVERY 1 DAY DISABLE COMMENT 'x' DO/);
    assert.match(out[4]!, /RENAME TO renamed DISABLE $/);
    assert.deepEqual(
      [...sanitizer.eventStatus],
      [
        ['nightly', 'ENABLE'],
        ['plain', 'ENABLE'],
        ['off', 'DISABLE ON SLAVE'],
        ['renamed', 'ENABLE'],
      ],
    );
  });

  it('counts the rows plain INSERTs put into the tables asked for', async () => {
    const { sanitizer } = await run(
      "INSERT INTO `t` VALUES (1,'a),(b'),(2,'c');\nINSERT INTO `t` VALUES (3,'x');\nINSERT INTO `u` VALUES (1,'y'),(2,'z');\n",
    );
    assert.deepEqual(sanitizer.stats.rows, { t: 3 });
    assert.deepEqual(sanitizer.stats.uncounted, []);
    const other = await run("INSERT INTO `t` VALUES (1,'a');\nDELETE FROM t WHERE id = 1;\n");
    assert.deepEqual(other.sanitizer.stats.uncounted, ['t']);
  });
});
