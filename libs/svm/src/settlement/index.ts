export * from './svm-fee-payers';
export * from './svm-outcomes';
export * from './svm-settler';
