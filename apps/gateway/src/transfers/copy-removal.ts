/**
 * Deleting a transfer's copies from S3 is decided in a transaction (she cancels, refuses or
 * erases, the offer expires, the owner never came) but done outside it: S3 is not in the
 * transaction. Done only after the commit, a crash or an S3 error at that moment left the copies
 * for ever, while the transfer said they were gone, and nothing ever tried again (the retried job
 * or request found the state already changed).
 *
 * So the transaction that decides also enqueues a job that removes them (transactional outbox).
 * The caller then removes them at once, as before, and marks that job done (`completePendingJob`):
 * in the usual case she sees them gone when her page says so, and the job never runs. If the
 * removal fails or the process dies, the job does it `COPY_REMOVAL_DELAY_MS` later, and again
 * with backoff until S3 answers (ADR 027).
 */
import { enqueueJob, type JobRow, type Queryable } from '@ent/persistence';
import { JOB_KINDS, type TransferRole } from './states';

/** The caller removes at once; its job waits this long first, so that the two never race. */
export const COPY_REMOVAL_DELAY_MS = 60_000;
/**
 * About a week of attempts before the job gives up: at the default 5-minute backoff ceiling the
 * worker waits 2.5 minutes on average between two (full jitter).
 */
export const COPY_REMOVAL_MAX_ATTEMPTS = 4_000;
/** `completed_by` of a removal job whose work its caller did at once. */
export const REMOVED_BY_CALLER = 'caller';

export interface CopyRemovalPayload {
  transferId: string;
  /** Why the copies go, recorded with the event that says they went. */
  reason: string;
}

export function copyRemovalKind(role: TransferRole): string {
  return role === 'DEPARTURE' ? JOB_KINDS.removeStaged : JOB_KINDS.removeReceived;
}

/** The S3 prefix the copies are under, on each side. */
export function copyPrefix(role: TransferRole, transferId: string): string {
  return `${role === 'DEPARTURE' ? 'departure' : 'arrival'}/${transferId}/`;
}

/**
 * In the transaction that decides the copies go: the job that removes them for sure. Returns its
 * key, for the caller's `completePendingJob` once it removed them itself.
 */
export async function scheduleCopyRemoval(tx: Queryable, role: TransferRole, payload: CopyRemovalPayload, now: Date): Promise<string> {
  const key = `remove-copies:${role}:${payload.transferId}:${payload.reason}`;
  await enqueueJob(tx, copyRemovalKind(role), { ...payload }, {
    key,
    runAt: new Date(now.getTime() + COPY_REMOVAL_DELAY_MS),
    maxAttempts: COPY_REMOVAL_MAX_ATTEMPTS,
  });
  return key;
}

interface Warns {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Right after the decision committed, the caller removes the copies itself (`remove` with the job's
 * key, which it marks done). What fails here is logged, not thrown: the decision stands, its job
 * removes them later.
 */
export async function removeAtOnce(
  remove: (p: CopyRemovalPayload, jobKey: string) => Promise<void>,
  p: CopyRemovalPayload, jobKey: string, role: TransferRole, logger: Warns,
): Promise<void> {
  try {
    await remove(p, jobKey);
  } catch (err) {
    logger.warn({ transferId: p.transferId, reason: p.reason, err: (err as Error).message }, `${what(role)} could not be deleted now: their job will delete them`);
  }
}

/** A removal job that gave up: the operator deletes the prefix by hand. */
export function removalGaveUp(job: JobRow<CopyRemovalPayload>, error: string, role: TransferRole, logger: Warns): void {
  logger.error({ transferId: job.payload.transferId, prefix: copyPrefix(role, job.payload.transferId), reason: job.payload.reason, err: error },
    `${what(role)} could not be deleted after every attempt: delete them by hand`);
}

const what = (role: TransferRole) => (role === 'DEPARTURE' ? 'staged copies' : 'received copies');
