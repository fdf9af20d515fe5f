export * from './facilitator-reads';
export * from './settle-requests';
