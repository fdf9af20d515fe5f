import { FacilitatorCore1763740000000 } from './1763740000000-facilitator-core';
import { BatchSettlement1763750000000 } from './1763750000000-batch-settlement';
import { Webhooks1763760000000 } from './1763760000000-webhooks';
import { AdminConsole1763770000000 } from './1763770000000-admin-console';
import { AcceptPaymentFunction1763780000000 } from './1763780000000-accept-payment-function';
import { AcceptPaymentCustomPlans1763790000000 } from './1763790000000-accept-payment-custom-plans';
import { AcceptPaymentCachedPlans1763800000000 } from './1763800000000-accept-payment-cached-plans';
import { WebhookOutboxNotify1763810000000 } from './1763810000000-webhook-outbox-notify';
import { AdminActions1763820500000 } from './1763820500000-admin-actions';
import { RelayerNonceGap1763825000000 } from './1763825000000-relayer-nonce-gap';
import { AcceptPaymentSource1763830500000 } from './1763830500000-accept-payment-source';
import { MerchantSelfService1763840000000 } from './1763840000000-merchant-self-service';
import { SolanaAddresses1763845000000 } from './1763845000000-solana-addresses';
import { SvmTransactions1763850000000 } from './1763850000000-svm-transactions';
import { WorkerHeartbeats1763860000000 } from './1763860000000-worker-heartbeats';
import { ConsoleVolume1763870000000 } from './1763870000000-console-volume';
import { PaymentExposure1763920000000 } from './1763920000000-payment-exposure';
import { WebhookDeliveriesKeyset1763900000000 } from './1763900000000-webhook-deliveries-keyset';
import { HistoryPartitions1763930000000 } from './1763930000000-history-partitions';
import { RollupShardLocks1763940000000 } from './1763940000000-rollup-shard-locks';
import { PaymentsDropIncludedAtIndex1763950000000 } from './1763950000000-payments-drop-included-at-index';
import { ExposureSetBased1763960000000 } from './1763960000000-exposure-set-based';
import { AcceptPaymentsBatch1763961000000 } from './1763961000000-accept-payments-batch';
import { HotPathIndexPlans1763970000000 } from './1763970000000-hot-path-index-plans';
import { PaymentsHistory1763980000000 } from './1763980000000-payments-history';
import { PaymentsReaderIndexesFinal1763990000000 } from './1763990000000-payments-reader-indexes-final';
import { PaymentEventsWithoutPrimaryKey1764000000000 } from './1764000000000-payment-events-without-primary-key';
import { ReferencesEncodeIds1764010000000 } from './1764010000000-references-encode-ids';
import { CompactPaymentEvents1764020000000 } from './1764020000000-compact-payment-events';
import { ExposureUntilExpiry1764030000000 } from './1764030000000-exposure-until-expiry';
import { QueueStepOnPaymentRow1764040000000 } from './1764040000000-queue-step-on-payment-row';
import { SvmTransactionsHistory1764050000000 } from './1764050000000-svm-transactions-history';

/** Every migration, in order. Listed explicitly so ts-node and compiled builds load the same set. */
export const MIGRATIONS = [
  FacilitatorCore1763740000000, BatchSettlement1763750000000, Webhooks1763760000000, AdminConsole1763770000000, AcceptPaymentFunction1763780000000,
  AcceptPaymentCustomPlans1763790000000, AcceptPaymentCachedPlans1763800000000, WebhookOutboxNotify1763810000000,
  AdminActions1763820500000,
  RelayerNonceGap1763825000000, AcceptPaymentSource1763830500000,
  MerchantSelfService1763840000000, SolanaAddresses1763845000000,
  SvmTransactions1763850000000, WorkerHeartbeats1763860000000, ConsoleVolume1763870000000,
  PaymentExposure1763920000000,
  WebhookDeliveriesKeyset1763900000000,
  HistoryPartitions1763930000000,
  RollupShardLocks1763940000000,
  PaymentsDropIncludedAtIndex1763950000000,
  ExposureSetBased1763960000000,
  AcceptPaymentsBatch1763961000000,
  HotPathIndexPlans1763970000000,
  PaymentsHistory1763980000000,
  PaymentsReaderIndexesFinal1763990000000,
  PaymentEventsWithoutPrimaryKey1764000000000,
  ReferencesEncodeIds1764010000000,
  CompactPaymentEvents1764020000000,
  ExposureUntilExpiry1764030000000,
  QueueStepOnPaymentRow1764040000000,
  SvmTransactionsHistory1764050000000,
];
