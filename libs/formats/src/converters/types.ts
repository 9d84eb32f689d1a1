/**
 * Executable converters: the code behind the converter descriptors that
 * negotiation works with. The descriptor type is the negotiation's own
 * (imported as a type only: libs/formats does not depend on libs/negotiation
 * at run time), so ids, costs and loss codes are the ones the peers see.
 */
import type { Readable } from 'node:stream';
import type { ConverterDescriptor, ConverterLoss } from '@ent/negotiation';

export type { ConverterDescriptor, ConverterLoss } from '@ent/negotiation';

/** A loss that applied to this run, with what exactly was concerned. */
export interface ConverterRunLoss extends ConverterLoss {
  /** Element paths, field names or sentences: what was dropped or approximated. */
  details?: string[];
}

export interface ConverterRunOptions {
  /** Largest input read into memory by the converters that need the whole document (default 64 MiB). */
  maxInputBytes?: number;
}

export interface ConverterRunResult {
  /** A Buffer, or a stream for outputs that can be large (cartridges, mailboxes). */
  output: Buffer | Readable;
  mediaType: string;
  /** Suggested file extension of the output, with the dot. */
  extension: string;
  /** The descriptor's losses that applied to this input (a subset, possibly empty). */
  losses: ConverterRunLoss[];
  /** Other remarks (in English or French, as the underlying reader gives them). */
  notes?: string[];
}

export interface ExecutableConverter {
  readonly descriptor: ConverterDescriptor;
  run(input: Readable | Buffer, opts?: ConverterRunOptions): Promise<ConverterRunResult>;
}
