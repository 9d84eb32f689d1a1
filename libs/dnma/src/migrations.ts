import type { Migration } from '@ent/persistence';

/** States of a hit. QUEUED/SENDING: main queue; DEAD: dead-letter queue; SENT and DROPPED: final. */
export const DNMA_STATES = ['QUEUED', 'SENDING', 'DEAD', 'SENT', 'DROPPED'] as const;
export type DnmaHitState = (typeof DNMA_STATES)[number];

/** Totals kept in dnma_counters (updated in the statement that changes the hits). */
export const DNMA_COUNTERS = ['enqueued', 'sent', 'dead_lettered', 'replayed', 'dropped', 'purged'] as const;
export type DnmaCounter = (typeof DNMA_COUNTERS)[number];

/**
 * Tables of the DNMA queues (RFTI §4). Append them to the gateway's migrations:
 * `migrate(db, [...MIGRATIONS, ...DNMA_MIGRATIONS])`. Ids are prefixed `dnma_` and never reused.
 *
 * One table, two queues: the main queue is the QUEUED and SENDING rows, the dead-letter queue
 * the DEAD rows. A row keeps the Matomo request exactly as built (so its original `cdt`), its
 * attempt, dead-letter and replay counts and its history. Rows that still wait cannot be
 * deleted (trigger): only SENT and DROPPED ones, by the explicit retention (`purgeDnmaHits`).
 */
export const DNMA_MIGRATIONS: Migration[] = [
  {
    id: 'dnma_001_queues',
    sql: `
CREATE TABLE dnma_hits (
  id bigserial PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('QUEUED', 'SENDING', 'DEAD', 'SENT', 'DROPPED')),
  page_id text NOT NULL,
  -- The Matomo request "?idsite=…&cdt=…", exactly as sent, never holding token_auth.
  query text CHECK (query IS NULL OR position('token_auth' IN query) = 0),
  -- Original cdt (UTC, "YYYY-MM-DD HH:MM:SS"), also inside query, kept through every retry.
  cdt text,
  created_at timestamptz NOT NULL,
  -- Main queue: when it may be sent. Dead-letter queue: when it is due for replay.
  available_at timestamptz NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  dead_letters int NOT NULL DEFAULT 0,
  replays int NOT NULL DEFAULT 0,
  locked_by text,
  locked_until timestamptz,
  last_error text,
  sent_at timestamptz,
  drop_reason text,
  -- [{ "at", "event": QUEUED|LEASE_EXPIRED|DEAD_LETTERED|REPLAYED|SENT|DROPPED, … }]
  history jsonb NOT NULL DEFAULT '[]'::jsonb,
  updated_at timestamptz NOT NULL,
  CHECK (state = 'DROPPED' OR (query IS NOT NULL AND cdt IS NOT NULL)),
  CHECK (state <> 'DROPPED' OR drop_reason IS NOT NULL),
  CHECK (state <> 'SENDING' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL)),
  CHECK (state <> 'SENT' OR sent_at IS NOT NULL)
);
CREATE INDEX dnma_hits_main_idx ON dnma_hits (available_at, id) WHERE state IN ('QUEUED', 'SENDING');
CREATE INDEX dnma_hits_dead_idx ON dnma_hits (available_at, id) WHERE state = 'DEAD';
CREATE INDEX dnma_hits_waiting_idx ON dnma_hits (created_at) WHERE state IN ('QUEUED', 'SENDING', 'DEAD');
CREATE INDEX dnma_hits_done_idx ON dnma_hits (updated_at) WHERE state IN ('SENT', 'DROPPED');

CREATE FUNCTION dnma_hits_no_silent_delete() RETURNS trigger AS $$
BEGIN
  IF OLD.state NOT IN ('SENT', 'DROPPED') THEN
    RAISE EXCEPTION 'dnma_hits: hit % is still %, it cannot be deleted', OLD.id, OLD.state;
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dnma_hits_no_delete_waiting BEFORE DELETE ON dnma_hits
  FOR EACH ROW EXECUTE FUNCTION dnma_hits_no_silent_delete();

CREATE TABLE dnma_counters (
  name text PRIMARY KEY,
  value bigint NOT NULL DEFAULT 0
);
INSERT INTO dnma_counters (name) VALUES ('enqueued'), ('sent'), ('dead_lettered'), ('replayed'), ('dropped'), ('purged');
`,
  },
];
