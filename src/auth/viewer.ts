/** Who is asking: a customer sees only their own schedules, snapshots and restores; an admin sees everything. */
export type Viewer = { role: 'customer'; customerId: string } | { role: 'admin' };
