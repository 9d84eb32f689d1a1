import { Inject, Injectable } from '@nestjs/common';
import { JobWorker } from '@ent/persistence';
import { JOB_WORKER } from '../infra/tokens';

/** Lets a use case start the work it just enqueued now rather than at the next poll. */
@Injectable()
export class JobWake {
  constructor(@Inject(JOB_WORKER) private readonly worker: JobWorker) {}
  wake() {
    this.worker.wake();
  }
}
