export * from './history-partitions';
export * from './payments-history';
export * from './archive';
