/**
 * The API's answers and requests as the page uses them: names for the types generated from the
 * service's OpenAPI document (schema.gen.ts, `npm run api:client`), so they cannot drift from the
 * server's schemas. Timestamps are ISO 8601 in UTC.
 */
import type { components, operations, paths } from './schema.gen.js';

type Schemas = components['schemas'];

export type Session = Schemas['Session'];
export type Role = Session['user']['role'];

export type Schedule = Schemas['Schedule'];
/** A hosting server of the fleet with its agent's presence (the admin area's Servers). */
export type Server = Schemas['Server'];
/** What recovering a lost server did, per customer. */
export type ServerRecoveryReport = Schemas['ServerRecoveryReport'];
/** A schedule's fields as POST and PUT /api/schedules take them. */
export type ScheduleRequest = Schemas['ScheduleRequest'];
export type ScheduleCopyRequest = Schemas['ScheduleCopyRequest'];
export type Frequency = Schedule['frequency'];
/** A target as answers show it, secrets masked. */
export type PublicTarget = Schemas['PublicTarget'];
export type TargetKind = PublicTarget['kind'];

export type Job = Schemas['Job'];
export type JobDetail = Schemas['JobDetail'];
export type JobPage = Schemas['JobPage'];
export type JobProgress = Schemas['JobProgress'];
export type JobStatus = Job['status'];
export type JobType = Job['type'];
export type ActiveTask = Schemas['ActiveTask'];
/** What a restore job restores and from which snapshot (restore jobs only). */
export type RestoreSummary = Schemas['RestoreSummary'];

/** A restore as the restore route takes it. */
export type RestoreRequest = Schemas['RestoreRequest'];
export type RestoreWhat = RestoreRequest['what'];
export type Snapshot = Schemas['Snapshot'];

/** What the caller's package allows; administrators get every frequency and no limits. */
export type PackageInfo = Schemas['PackageInfo'];
/** The signed-in customer's databases and mailbox addresses (GET /api/me/areas). */
export type MyAreas = Schemas['MyAreas'];
export type BrowseEntry = Schemas['BrowseEntry'];
export type BrowseListing = Schemas['BrowseListing'];
export type FileHistory = Schemas['FileHistory'];
export type FileVersion = Schemas['FileVersion'];
export type FileComparison = Schemas['FileComparison'];

export type Customer = Schemas['Customer'];
export type Package = Schemas['Package'];
/** Test connection: every step passed, or the one that failed and why. */
export type TargetTest = Schemas['TargetTest'];
/** A target in use: GET /api/admin/targets, secrets masked. */
export type AdminTarget = Schemas['AdminTarget'];
export type Repository = Schemas['Repository'];
export type User = Schemas['User'];
export type ApiToken = Schemas['ApiToken'];
export type NewUser = NonNullable<
  paths['/api/admin/users']['post']['requestBody']
>['content']['application/json'];
export type NewToken = NonNullable<
  paths['/api/admin/tokens']['post']['requestBody']
>['content']['application/json'];

export type CoverageRow = Schemas['CoverageRow'];
export type CoverageState = CoverageRow['state'];
export type CoverageParams = Omit<
  NonNullable<operations['adminCoverage']['parameters']['query']>,
  'format'
>;
