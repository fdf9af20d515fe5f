import { FacilitatorCore1763740000000 } from './1763740000000-facilitator-core';
import { BatchSettlement1763750000000 } from './1763750000000-batch-settlement';

/** Every migration, in order. Listed explicitly so ts-node and compiled builds load the same set. */
export const MIGRATIONS = [FacilitatorCore1763740000000, BatchSettlement1763750000000];
