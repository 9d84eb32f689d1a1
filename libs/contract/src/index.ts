export * from './enums';
export * from './problems';
export * from './peer.dto';
export * from './connector.dto';
export * from './offer.schema';
export * from './offer.validator';
