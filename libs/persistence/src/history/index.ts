export * from './event-partitions';
export * from './archive';
