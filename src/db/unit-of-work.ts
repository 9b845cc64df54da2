/**
 * TODO(#16): the unit of work moved up to the application layer (src/application/unit-of-work.ts).
 * This re-export only keeps the modules another branch is converting meanwhile (address,
 * preference, wishlist, statistics, gdpr) compiling until they import it from there; delete it
 * then. Nothing else may import it.
 */
export * from '../application/unit-of-work';
