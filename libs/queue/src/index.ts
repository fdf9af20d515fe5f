export * from './catalogue';
export * from './queues';
export * from './startup-check';
