// The MultiCodex JSON-RPC contract as TypeScript types: method and notification names and
// the shapes of their params and results. Mirrors server/multicodex/protocol.py (the
// source of truth; see protocol.md). Fields are snake_case on the wire, times are unix
// seconds. No vscode import: the contract test uses these types with plain vscode-jsonrpc.
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export const PROTOCOL_VERSION = 1;

// ------------------------------------------------------------------------- shared types

export type AccountState = 'active' | 'available' | 'cooldown' | 'needs_reauth';
export type AccountTag =
  | 'active'
  | 'manual'
  | 'needs_reauth'
  | 'quota'
  | 'untouched'
  | 'stale'
  | 'linked';
export type ImportSourceKind = 'codex-cli' | 'pi' | 'pi-multicodex';
export type SourceKind = ImportSourceKind | 'login';
export type ResetTarget = 'manual' | 'quota' | 'all';
export type LoginMethod = 'browser' | 'device';
export type CheckStatus = 'pass' | 'warn' | 'fail';
export type RecoverAction = 'start_empty';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type FailureKind =
  | 'quota_exhausted'
  | 'rate_limited'
  | 'transient'
  | 'auth_expired'
  | 'needs_reauth'
  | 'bad_request'
  | 'cancelled';
export type Severity = 'success' | 'info' | 'warning' | 'error' | 'dim';
export type SegmentRole = 'brand' | 'separator' | 'account' | 'usage' | 'muted' | 'dim';

export interface NoParams {}

export interface UsageWindow {
  used_percent: number;
  window_seconds: number | null;
  resets_at: number | null;
}

export interface FooterSettings {
  usage_mode: 'left' | 'used';
  reset_window: '5h' | '7d' | 'both';
  show_account: boolean;
  show_reset: boolean;
  order: 'account-first' | 'usage-first';
}

export interface RotationPolicy {
  strategy: string;
  retry_limit: number;
  fallback_cooldown_seconds: number;
  sticky: boolean;
  first_output_timeout_seconds: number;
  stall_timeout_seconds: number;
}

export interface FooterSegment {
  text: string;
  role: SegmentRole;
  severity: Severity | null;
}

export interface FooterLine {
  text: string;
  segments: FooterSegment[];
  severity: Severity;
}

export interface AccountRef {
  key: string;
  display_name: string;
}

export interface AccountUsage {
  plan_type: string | null;
  five_hour: UsageWindow | null;
  weekly: UsageWindow | null;
  limit_reached: boolean;
  fetched_at: number;
  age_seconds: number;
  stale: boolean;
  source: 'endpoint' | 'headers';
}

export interface AccountSource {
  kind: SourceKind;
  path: string | null;
  linked: boolean;
}

export interface AccountInfo {
  key: string;
  display_name: string;
  email: string | null;
  plan: string | null;
  label: string | null;
  account_id: string | null;
  state: AccountState;
  tags: AccountTag[];
  is_active: boolean;
  is_pinned: boolean;
  cooldown_until: number | null;
  cooldown_reason: string | null;
  reauth_reason: string | null;
  usage: AccountUsage | null;
  usage_error: string | null;
  usage_error_at: number | null;
  source: AccountSource | null;
  added_at: number;
  last_used_at: number | null;
  status_line: string;
  usage_line: string;
}

export interface ActiveAccount {
  key: string;
  display_name: string;
  reason: string;
  rule: string;
  strategy: string;
  pinned: boolean;
}

export interface AccountError {
  account: AccountRef;
  message: string;
}

export interface ImportSourceInfo {
  kind: ImportSourceKind;
  path: string;
  exists: boolean;
  note: string | null;
}

// ----------------------------------------------------------------------------- accounts

export interface AccountsListParams {
  refresh_stale?: boolean;
}

export interface AccountsListResult {
  accounts: AccountInfo[];
  active: ActiveAccount | null;
  pinned_key: string | null;
  needs_reauth_count: number;
  no_accounts: boolean;
  updated_at: number;
}

export interface AccountsUseParams {
  key: string;
}

export interface AccountsUseResult {
  account: AccountInfo;
  active: ActiveAccount;
}

export interface AccountsRefreshParams {
  key?: string | null;
}

export interface AccountsRefreshResult {
  refreshed: number;
  failed: number;
  needs_reauth: number;
  accounts: AccountInfo[];
  errors: AccountError[];
  summary: string;
}

export interface AccountsRemoveParams {
  key: string;
}

export interface AccountsRemoveResult {
  removed: AccountRef;
  was_active: boolean;
  was_pinned: boolean;
  active: ActiveAccount | null;
}

export interface AccountsLabelParams {
  key: string;
  label: string | null;
}

export interface AccountsLabelResult {
  account: AccountInfo;
}

export interface ImportSource {
  kind: ImportSourceKind;
  path?: string | null;
}

export interface AccountsImportParams {
  sources?: ImportSource[] | null;
  link?: boolean;
}

export interface ImportSourceResult {
  kind: ImportSourceKind;
  path: string;
  found: boolean;
  added: AccountRef[];
  updated: AccountRef[];
  unchanged: AccountRef[];
  kept?: AccountRef[];
  error: string | null;
}

export interface AccountsImportResult {
  sources: ImportSourceResult[];
  added_count: number;
  updated_count: number;
}

export interface AccountsResetParams {
  target?: ResetTarget;
}

export interface AccountsResetResult {
  target: ResetTarget;
  manual_cleared: boolean;
  quota_cleared: number;
  summary: string;
}

// -------------------------------------------------------------------------------- login

export interface LoginStartParams {
  method?: LoginMethod;
  label?: string | null;
  reauth?: string | null;
  pin?: boolean;
  open_browser?: boolean;
  timeout_seconds?: number | null;
}

export interface LoginStartResult {
  login_id: string;
  method: LoginMethod;
  authorize_url: string | null;
  redirect_uri: string | null;
  callback_listening: boolean;
  user_code: string | null;
  verification_url: string | null;
  expires_at: number;
  reauth: AccountRef | null;
  browser_open_requested: boolean;
}

export interface LoginIdParams {
  login_id: string;
}

export interface LoginPasteParams {
  login_id: string;
  text: string;
}

export interface LoginResult {
  login_id: string;
  account: AccountInfo;
  outcome: 'added' | 'updated' | 'reauthenticated';
  pinned: boolean;
}

export interface LoginCancelResult {
  login_id: string;
  cancelled: boolean;
}

export interface LoginProgress {
  login_id: string;
  stage: 'waiting_for_browser' | 'waiting_for_device' | 'exchanging_code' | 'saving';
  message: string;
  expires_at: number;
}

// ----------------------------------------------------------------------------- rotation

export interface StrategyInfo {
  name: string;
  description: string;
}

export interface RotationPatch {
  strategy?: string | null;
  retry_limit?: number | null;
  fallback_cooldown_seconds?: number | null;
  sticky?: boolean | null;
  first_output_timeout_seconds?: number | null;
  stall_timeout_seconds?: number | null;
}

export interface RotationSetParams extends RotationPatch {
  persist?: boolean;
}

export interface RotationInfo {
  policy: RotationPolicy;
  strategies: StrategyInfo[];
  description: string[];
}

// ------------------------------------------------------------------------------- footer

export interface FooterPatch {
  usage_mode?: 'left' | 'used' | null;
  reset_window?: '5h' | '7d' | 'both' | null;
  show_account?: boolean | null;
  show_reset?: boolean | null;
  order?: 'account-first' | 'usage-first' | null;
}

export interface FooterSetParams extends FooterPatch {
  persist?: boolean;
}

export interface FooterChoices {
  usage_mode: FooterSettings['usage_mode'][];
  reset_window: FooterSettings['reset_window'][];
  show_account: boolean[];
  show_reset: boolean[];
  order: FooterSettings['order'][];
}

export interface FooterInfo {
  settings: FooterSettings;
  line: FooterLine;
  session_override: boolean;
  choices: FooterChoices;
}

export interface FooterPreview {
  settings: FooterSettings;
  line: FooterLine;
}

// ---------------------------------------------------------------------- verify, paths

export interface VerifyCheck {
  name: string;
  label: string;
  status: CheckStatus;
  detail: string;
}

export interface VerifyResult {
  status: CheckStatus;
  checks: VerifyCheck[];
  accounts: number;
  active: AccountRef | null;
  needs_reauth: number;
  import_sources: ImportSourceInfo[];
  summary_line: string;
}

export interface PathsResult {
  home: string;
  store_file: string;
  lock_file: string;
  schema_file: string;
  quarantine_file: string;
  import_sources: ImportSourceInfo[];
  auth_url: string;
  backend_url: string;
}

// ----------------------------------------------------------------------- store recovery

export interface StoreRecoverParams {
  action: RecoverAction;
}

export interface StoreRecoverResult {
  action: RecoverAction;
  /** False when there was nothing to recover (the store was usable). */
  recovered: boolean;
  store_file: string;
  /** Where the unusable document stays; null when nothing was recovered. */
  moved_to: string | null;
  reason: string | null;
  foreign_format: string | null;
  accounts: number;
  message: string;
}

// ------------------------------------------------------------------------------- status

export interface Status {
  revision: number;
  active: ActiveAccount | null;
  footer: FooterLine;
  accounts: AccountInfo[];
  needs_reauth: AccountRef[];
  no_accounts: boolean;
  all_exhausted: boolean;
  earliest_reset: number | null;
  stale: boolean;
  updated_at: number;
}

// ------------------------------------------------------------------------------- models

export interface ModelSummary {
  slug: string;
  display_name: string;
  description: string | null;
  default_reasoning_effort: string | null;
  reasoning_efforts: string[];
  context_window: number | null;
}

export interface ModelsListParams {
  refresh?: boolean;
}

export interface ModelsListResult {
  models: ModelSummary[];
  default_model: string;
  source: 'backend' | 'cache' | 'fallback';
  fetched_at: number | null;
}

// --------------------------------------------------------------------------- completion

export interface ReasoningOptions {
  effort?: string | null;
  summary?: 'auto' | 'concise' | 'detailed' | null;
}

/** Responses API input item, passed through to the backend as it is. */
export type InputItem = Record<string, unknown>;

export interface CompleteParams {
  stream_id: string;
  model: string;
  input?: InputItem[] | null;
  prompt?: string | null;
  instructions?: string | null;
  reasoning?: ReasoningOptions | null;
  tools?: Record<string, unknown>[] | null;
  conversation_id?: string | null;
  wait_for_reset_seconds?: number | null;
}

export type DeltaKind = 'start' | 'text' | 'reasoning' | 'switch' | 'notice';

export interface CompletionDelta {
  stream_id: string;
  seq: number;
  kind: DeltaKind;
  text: string;
  account: AccountRef | null;
  from_account: AccountRef | null;
  reason: string | null;
  until: number | null;
}

export interface SwitchInfo {
  from_account: AccountRef;
  to_account: AccountRef;
  reason: string;
  failure: FailureKind | null;
  at: number;
}

export interface TokenUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
}

export interface CompleteResult {
  stream_id: string;
  text: string;
  reasoning_text: string;
  account: AccountRef;
  switches: SwitchInfo[];
  selection_reasons: string[];
  attempts: number;
  usage: TokenUsage;
  response_id: string | null;
  model: string;
  status: 'completed' | 'incomplete';
  incomplete_reason: string | null;
  output_items: Record<string, unknown>[];
  deltas: number;
}

// ------------------------------------------------------------------- initialize options

export interface InitializationOptions {
  home?: string | null;
  auth_url?: string | null;
  backend_url?: string | null;
  footer?: FooterPatch | null;
  rotation?: RotationPatch | null;
  log_level?: LogLevel;
  status_refresh_seconds?: number;
  /** Loopback ports the browser login's callback tries (emulators and tests). */
  callback_ports?: number[] | null;
}

export interface ServerCapabilitiesExtension {
  protocol_version: number;
  methods: string[];
  notifications: string[];
}

// -------------------------------------------------------------------------------- errors

export const ErrorCode = {
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  REQUEST_CANCELLED: -32800,
  POOL_EXHAUSTED: -32010,
  NO_ACCOUNTS: -32011,
  RATE_LIMITED: -32012,
  UPSTREAM_BAD_REQUEST: -32020,
  UPSTREAM_FAILED_AFTER_OUTPUT: -32021,
  UPSTREAM_UNAVAILABLE: -32022,
  ACCOUNT_NOT_FOUND: -32030,
  NEEDS_REAUTH: -32031,
  LOGIN_FAILED: -32040,
  LOGIN_TIMED_OUT: -32041,
  LOGIN_CANCELLED: -32042,
  LOGIN_NOT_FOUND: -32043,
  STORE_CORRUPT: -32050,
  STORE_UNAVAILABLE: -32051,
  IMPORT_FAILED: -32060,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorObject {
  code: ErrorCode;
  message: string;
  data?: Record<string, unknown> | null;
}

export interface FieldError {
  field: string;
  message: string;
}

export interface InvalidParamsData {
  errors: FieldError[];
}

export interface InternalErrorData {
  error_id: string;
  exception_type: string;
}

export interface AccountAvailability {
  account: AccountRef;
  state: 'available' | 'cooldown' | 'needs_reauth' | 'excluded';
  until: number | null;
  detail: string | null;
}

export interface PoolExhaustedData {
  earliest_reset: number | null;
  accounts: AccountAvailability[];
  waited_seconds: number;
}

export interface NoAccountsData {
  import_sources: ImportSourceInfo[];
}

export interface AttemptFailure {
  account: AccountRef;
  kind: FailureKind;
  status: number | null;
  code: string | null;
  detail: string;
}

export interface RateLimitedData {
  retry_at: number | null;
  attempts: AttemptFailure[];
}

export interface UpstreamBadRequestData {
  account: AccountRef;
  status: number;
  code: string | null;
  detail: string;
}

export interface UpstreamFailedData {
  account: AccountRef;
  kind: FailureKind;
  status: number | null;
  code: string | null;
  detail: string;
  deltas_sent: number;
}

export interface UpstreamUnavailableData {
  attempts: AttemptFailure[];
}

export interface AccountNotFoundData {
  key: string;
  known_keys: string[];
}

export interface NeedsReauthData {
  account: AccountRef;
  reason: string | null;
}

export interface LoginFailedData {
  login_id: string | null;
  reason:
    | 'denied'
    | 'no_entitlement'
    | 'state_mismatch'
    | 'missing_code'
    | 'exchange_failed'
    | 'invalid_tokens'
    | 'identity_mismatch'
    | 'device_unavailable'
    | 'other';
  detail: string;
  pending: boolean;
}

export interface LoginTimedOutData {
  login_id: string;
  expires_at: number;
}

export interface LoginIdData {
  login_id: string;
}

export interface StoreCorruptData {
  store_file: string;
  moved_to: string;
  reason: string;
  foreign_format: string | null;
  /** multicodex/store/recover with action start_empty. */
  recover_method: string;
  /** The same from a shell: `multicodex recover --start-empty`. */
  recover_command: string;
}

export interface StoreUnavailableData {
  store_file: string;
  lock_file: string;
  reason: 'lock_timeout' | 'unreadable' | 'newer_version' | 'invalid_document';
  detail: string;
}

export interface ImportFailedData {
  sources: ImportSourceResult[];
}

// --------------------------------------------------------------- methods, notifications

const request = <P, R>(method: string) => new RequestType<P, R, void>(method);

export const Methods = {
  accountsList: request<AccountsListParams, AccountsListResult>('multicodex/accounts/list'),
  accountsUse: request<AccountsUseParams, AccountsUseResult>('multicodex/accounts/use'),
  accountsRefresh: request<AccountsRefreshParams, AccountsRefreshResult>('multicodex/accounts/refresh'),
  accountsRemove: request<AccountsRemoveParams, AccountsRemoveResult>('multicodex/accounts/remove'),
  accountsLabel: request<AccountsLabelParams, AccountsLabelResult>('multicodex/accounts/label'),
  accountsImport: request<AccountsImportParams, AccountsImportResult>('multicodex/accounts/import'),
  accountsReset: request<AccountsResetParams, AccountsResetResult>('multicodex/accounts/reset'),
  loginStart: request<LoginStartParams, LoginStartResult>('multicodex/login/start'),
  loginWait: request<LoginIdParams, LoginResult>('multicodex/login/wait'),
  loginPaste: request<LoginPasteParams, LoginResult>('multicodex/login/paste'),
  loginCancel: request<LoginIdParams, LoginCancelResult>('multicodex/login/cancel'),
  rotationGet: request<NoParams, RotationInfo>('multicodex/rotation/get'),
  rotationSet: request<RotationSetParams, RotationInfo>('multicodex/rotation/set'),
  footerGet: request<NoParams, FooterInfo>('multicodex/footer/get'),
  footerSet: request<FooterSetParams, FooterInfo>('multicodex/footer/set'),
  footerPreview: request<FooterPatch, FooterPreview>('multicodex/footer/preview'),
  verify: request<NoParams, VerifyResult>('multicodex/verify'),
  paths: request<NoParams, PathsResult>('multicodex/paths'),
  storeRecover: request<StoreRecoverParams, StoreRecoverResult>('multicodex/store/recover'),
  statusGet: request<NoParams, Status>('multicodex/status/get'),
  modelsList: request<ModelsListParams, ModelsListResult>('multicodex/models/list'),
  complete: request<CompleteParams, CompleteResult>('multicodex/complete'),
} as const;

export const Notifications = {
  status: new NotificationType<Status>('multicodex/status'),
  completionDelta: new NotificationType<CompletionDelta>('multicodex/completion/delta'),
  loginProgress: new NotificationType<LoginProgress>('multicodex/login/progress'),
} as const;
