/**
 * The backup's database dumper on a hosting server: mariadb-dump as root over the local socket
 * (the server's own MariaDB), into the staging directory or streamed by restic.
 */
import {
  defaultDumpParallelism,
  dumpDatabases,
  estimateDumpBytes,
  type MariaDbConnection,
} from '../database/index.js';
import type { DatabaseDumper } from './backup-service.js';

export function mariadbDumper(connection: MariaDbConnection): DatabaseDumper {
  return {
    async dump(opts) {
      await dumpDatabases({ ...opts, connection });
    },
    async stream({ save, ...opts }) {
      // Each streamed dump is a restic process of its own, holding the repository's index in
      // memory: two at a time.
      await dumpDatabases({
        ...opts,
        connection,
        stream: save,
        parallel: Math.min(2, defaultDumpParallelism()),
      });
    },
    estimate(databases, signal) {
      return estimateDumpBytes(connection, databases, signal);
    },
  };
}
