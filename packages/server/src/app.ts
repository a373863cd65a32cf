import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import websocket from "@fastify/websocket";
import { Templates, type Clock, type SidGenerator } from "@switchboard/engine";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { AccountStore } from "./identity/accounts.ts";
import { ApiKeyStore } from "./identity/api-keys.ts";
import { authenticator } from "./identity/authenticate.ts";
import { identityRoutes } from "./identity/routes.ts";
import { signInRoutes, userRoutes } from "./identity/user-routes.ts";
import { UserStore } from "./identity/users.ts";
import { desktopRoutes } from "./desktop/routes.ts";
import { DesktopSettingsStore } from "./desktop/settings.ts";
import { webRoutes } from "./web/static.ts";
import type { Channel } from "./channels/channel.ts";
import { CHANNELS } from "./channels/index.ts";
import { addressRoutes } from "./conversations/address-routes.ts";
import { AddressStore } from "./conversations/addresses.ts";
import { InboundRouter } from "./conversations/inbound.ts";
import { conversationRoutes } from "./conversations/routes.ts";
import { ConversationStore } from "./conversations/store.ts";
import { conversationSubscriptions } from "./conversations/subscriptions.ts";
import { ConversationTasks } from "./conversations/tasks.ts";
import { ConversationTimers } from "./conversations/timers.ts";
import { ExecutionStore } from "./flows/executions.ts";
import { flowRoutes } from "./flows/routes.ts";
import { flowTestRunRoutes } from "./flows/test-runs.ts";
import { FlowRunner } from "./flows/runner.ts";
import { FlowStore } from "./flows/store.ts";
import { Mailer } from "./insights/mailer.ts";
import { insightRoutes } from "./insights/routes.ts";
import { Insights } from "./insights/service.ts";
import { FlowTriggers } from "./flows/triggers.ts";
import { TypingRelay } from "./conversations/typing.ts";
import { MediaLinks } from "./media/links.ts";
import { mediaContentRoute, mediaRoutes } from "./media/routes.ts";
import { MediaSweeper } from "./media/sweeper.ts";
import { MediaStore } from "./media/store.ts";
import { ConversationDeliveries } from "./messaging/conversation-deliveries.ts";
import { providerRoutes } from "./messaging/provider-routes.ts";
import { providerUrls } from "./messaging/provider-urls.ts";
import { ProviderStore } from "./messaging/providers.ts";
import { messageRoutes } from "./messaging/routes.ts";
import { OutboundSender } from "./messaging/sender.ts";
import { statusCallbackSubscriptions } from "./messaging/status-callbacks.ts";
import { MessageStore } from "./messaging/store.ts";
import { Database } from "./platform/db/database.ts";
import { migrateToLatest } from "./platform/db/migrate.ts";
import { tooManyRequests, unavailable } from "./platform/errors.ts";
import { ConsumerCursors } from "./platform/events/cursors.ts";
import { EventLog } from "./platform/events/event-log.ts";
import { eventRoutes } from "./platform/events/routes.ts";
import { Metrics } from "./platform/http/metrics.ts";
import { API_PREFIX, createHttpServer, type HttpServer } from "./platform/http/server.ts";
import { randomSids, timeOrderedSids } from "./platform/ids.ts";
import { createLogger } from "./platform/logger.ts";
import { SecretBox } from "./platform/secrets/secret-box.ts";
import { systemClock } from "./platform/time.ts";
import { routingRoutes } from "./routing/routes/index.ts";
import { StreamHub } from "./realtime/hub.ts";
import { streamRoutes, streamTokenRoutes } from "./realtime/routes.ts";
import { StreamTokens } from "./realtime/tokens.ts";
import { AssignmentCallbacks } from "./routing/assignment-callbacks.ts";
import { RoutingService } from "./routing/service.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";
import { webhookRoutes } from "./webhooks/routes.ts";
import { WebhookStore } from "./webhooks/store.ts";

/**
 * Inbound groups committing side by side on Postgres (SQLite has one connection, so it keeps one).
 * Chosen when every group's events took the log's append lock until its commit, so groups
 * serialized there: with two, one group did its reads and writes while the other held the lock;
 * more only queued on it and competed for the CPU. Measured at 5,000 web chat messages a second:
 * two lanes against four, five pairs, capacity 5,951–6,811/s against 5,562–5,989/s and p50
 * 38–73 ms against 55–106 ms. Groups to open conversations now hold the lock only inside one
 * statement (`ConversationStore.receiveIntoOpenConversations`); the count is not re-measured since.
 */
const POSTGRES_INBOUND_LANES = 2;

/** Replaceable parts, for tests and simulations; production uses the defaults. */
export interface SwitchboardParts {
  logger?: Logger;
  clock?: Clock;
  ids?: SidGenerator;
}

/**
 * One Switchboard server: storage, the event log and its consumers, and the HTTP API, wired
 * together. `open` prepares everything (migrating the schema); `listen` starts serving and
 * consuming; `close` finishes in-flight requests and deliveries, then releases the database.
 */
export class Switchboard {
  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly database: Database,
    readonly events: EventLog,
    readonly accounts: AccountStore,
    readonly apiKeys: ApiKeyStore,
    readonly users: UserStore,
    readonly desktopSettings: DesktopSettingsStore,
    readonly webhooks: WebhookStore,
    readonly routing: RoutingService,
    readonly conversations: ConversationStore,
    readonly addresses: AddressStore,
    readonly insights: Insights,
    readonly http: HttpServer,
    private readonly dispatcher: WebhookDispatcher,
    private readonly assignmentCallbacks: AssignmentCallbacks,
    private readonly conversationTimers: ConversationTimers,
    private readonly mediaSweeper: MediaSweeper,
    private readonly conversationTasks: ConversationTasks,
    private readonly conversationDeliveries: ConversationDeliveries,
    private readonly flowRunner: FlowRunner,
    private readonly flowTriggers: FlowTriggers,
    private readonly sender: OutboundSender,
    private readonly channels: Channel[],
    private readonly hub: StreamHub,
    /** Shared with the readiness probe, which answers 503 once shutdown begins. */
    private readonly lifecycle: { closing: boolean },
    /** The origin providers call back; the bound address once listening, unless configured. */
    private readonly origin: { url: string },
  ) {}

  static async open(config: Config, parts: SwitchboardParts = {}): Promise<Switchboard> {
    const logger = parts.logger ?? createLogger(config.logLevel);
    const clock = parts.clock ?? systemClock;
    const ids = parts.ids ?? randomSids;

    const database = Database.open(config.databaseUrl);
    try {
      const applied = await migrateToLatest(database);
      if (applied.length) logger.info({ migrations: applied }, "database schema migrated");
    } catch (error) {
      await database.close();
      throw error;
    }
    const secrets = SecretBox.load(config.secretKey, config.dataDir);
    const metrics = new Metrics();
    // Event and message SIDs grow with time, so that the SID indexes of the tables written fastest
    // take appends (see timeOrderedSids).
    const appendedIds = parts.ids ?? timeOrderedSids(clock);
    const events = new EventLog(database, appendedIds, clock);
    events.appended.on("appended", (count: number) => metrics.eventsAppended.inc(count));
    const accounts = new AccountStore(database, events, secrets, ids, clock);
    const apiKeys = new ApiKeyStore(database, events, ids, clock);
    const users = new UserStore(database, events, ids, clock, config.sessionHours * 3_600_000);
    const desktopSettings = new DesktopSettingsStore(database, clock);
    // Replays every workspace's routing log: timers that fell due while the server was down fire now.
    const routing = new RoutingService(database, events, ids, clock, logger.child({ component: "routing" }));
    try {
      await routing.start();
    } catch (error) {
      await database.close();
      throw error;
    }
    const media = new MediaStore(database, ids, clock);
    const mediaLinks = new MediaLinks(secrets.derive("media-links"));
    const conversations = new ConversationStore(database, events, appendedIds, clock, media);
    const addresses = new AddressStore(database, ids, clock);
    const inbound = new InboundRouter(
      conversations,
      addresses,
      database.dialect === "postgres" ? POSTGRES_INBOUND_LANES : 1,
    );
    const typing = new TypingRelay();
    const messages = new MessageStore(database, events, ids, clock);
    const providers = new ProviderStore(database, secrets, ids, clock);
    const origin = { url: config.publicUrl ?? `http://localhost:${config.port}` };
    const channels = CHANNELS.map((create) =>
      create({
        config,
        inbound,
        conversations,
        typing,
        events,
        messages,
        providers,
        media,
        mediaLinks,
        routing,
        publicUrl: () => origin.url,
        secrets,
        clock,
        logger: logger.child({ component: "channels" }),
      }),
    );
    const conversationTasks = new ConversationTasks(
      events,
      new ConsumerCursors(database, clock),
      addresses,
      routing,
      logger.child({ component: "conversation-tasks" }),
      config.pollIntervalMs,
    );
    const templates = new Templates(clock);
    const flows = new FlowStore(database, ids, clock);
    const executions = new ExecutionStore(database, ids, clock);
    const flowRunner = new FlowRunner(
      database,
      flows,
      executions,
      conversations,
      routing,
      templates,
      ids,
      clock,
      logger.child({ component: "flows" }),
      { httpTimeoutMs: config.flowHttpTimeoutMs, pollIntervalMs: config.pollIntervalMs },
    );
    const flowTriggers = new FlowTriggers(
      database,
      events,
      new ConsumerCursors(database, clock),
      conversations,
      flows,
      executions,
      flowRunner,
      logger.child({ component: "flow-triggers" }),
      config.pollIntervalMs,
    );
    const conversationTimers = new ConversationTimers(
      conversations,
      config.pollIntervalMs,
      logger.child({ component: "conversation-timers" }),
    );
    const conversationDeliveries = new ConversationDeliveries(
      database,
      events,
      new ConsumerCursors(database, clock),
      conversations,
      providers,
      messages,
      logger.child({ component: "conversation-deliveries" }),
      config.pollIntervalMs,
    );
    const sender = new OutboundSender(
      messages,
      providers,
      channels.flatMap((channel) => channel.transports ?? []),
      (provider) => providerUrls(origin.url, provider.sid).status_callback_url,
      media,
      (sid, expiresAt) => origin.url + mediaLinks.path(sid, expiresAt),
      clock,
      logger.child({ component: "outbound" }),
      { ...config.messaging, pollIntervalMs: config.pollIntervalMs },
    );
    const insights = new Insights(
      database,
      events,
      clock,
      ids,
      new Mailer(config.mail.relayUrl, config.mail.from),
      logger.child({ component: "insights" }),
      { pollIntervalMs: config.pollIntervalMs, checkMs: config.insightsCheckMs },
    );
    // Subscriptions kept outside the webhooks table: workspace event callbacks, conversation
    // webhooks, messages' status callbacks, alert rules' webhooks.
    const webhooks = new WebhookStore(database, events, ids, clock, async (batch, accountSids) => [
      ...routing.eventCallbacks(accountSids),
      ...(await conversationSubscriptions(conversations, batch)),
      ...(await statusCallbackSubscriptions(messages, batch)),
      ...(await insights.alerts.subscriptions(batch)),
    ]);
    const dispatcher = new WebhookDispatcher(
      webhooks,
      events,
      new ConsumerCursors(database, clock),
      accounts,
      clock,
      metrics,
      logger.child({ component: "webhooks" }),
      { ...config.webhooks, pollIntervalMs: config.pollIntervalMs },
    );

    const assignmentCallbacks = new AssignmentCallbacks(
      events,
      new ConsumerCursors(database, clock),
      routing,
      accounts,
      logger.child({ component: "assignment-callbacks" }),
      { timeoutMs: config.assignmentCallbackTimeoutMs, pollIntervalMs: config.pollIntervalMs },
    );

    const streamTokens = new StreamTokens(secrets.derive("stream-tokens"));
    const hub = new StreamHub(events, routing, typing, logger.child({ component: "stream" }));

    const lifecycle = { closing: false };
    const http = await createHttpServer({
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      metrics,
      checkReady: async () => {
        if (lifecycle.closing) throw unavailable("shutting down");
        await database.ping();
      },
    });

    await http.register(cookie);
    // The stream authenticates each socket by its signed token, not by API credentials.
    await http.register(websocket, { options: { maxPayload: 64 * 1024 } });
    streamRoutes(http, hub, streamTokens, routing, clock);
    mediaContentRoute(http, media, mediaLinks, clock);
    for (const channel of channels) await channel.openRoutes?.(http);
    await signInRoutes(http, users, config.signInsPerMinute);
    await webRoutes(http, config.pluginDir);

    // Everything below is the authenticated, rate-limited API; health, metrics and the OpenAPI
    // document (registered by createHttpServer) stay open for probes and scrapers.
    await http.register(async (api: HttpServer) => {
      api.addHook("onRequest", authenticator(accounts, apiKeys, users));
      if (config.rateLimitPerSecond > 0) {
        await api.register(rateLimit, {
          max: config.rateLimitPerSecond,
          timeWindow: 1000,
          hook: "preHandler",
          keyGenerator: (request) => request.principal.accountSid,
          errorResponseBuilder: (_request, context) =>
            tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
        });
      }
      identityRoutes(api, accounts, apiKeys);
      webhookRoutes(api, webhooks);
      eventRoutes(api, API_PREFIX, events);
      routingRoutes(api, routing, events);
      conversationRoutes(api, conversations, messages, typing, flows);
      addressRoutes(api, addresses, routing, flows);
      flowRoutes(api, flows, executions, flowRunner, templates);
      flowTestRunRoutes(api, flows, conversations, flowRunner);
      messageRoutes(api, messages, providers, clock);
      providerRoutes(api, providers, config.publicUrl);
      await mediaRoutes(api, media, mediaLinks, clock, config.mediaMaxBytes);
      for (const channel of channels) channel.apiRoutes?.(api);
      streamTokenRoutes(api, routing, streamTokens, clock);
      userRoutes(api, users);
      insightRoutes(api, insights, routing, clock);
      await desktopRoutes(api, {
        database,
        events,
        routing,
        conversations,
        media,
        mediaLinks,
        typing,
        settings: desktopSettings,
        streamTokens,
        clock,
        mediaMaxBytes: config.mediaMaxBytes,
      });
    });

    return new Switchboard(
      config,
      logger,
      database,
      events,
      accounts,
      apiKeys,
      users,
      desktopSettings,
      webhooks,
      routing,
      conversations,
      addresses,
      insights,
      http,
      dispatcher,
      assignmentCallbacks,
      conversationTimers,
      new MediaSweeper(media, logger.child({ component: "media" })),
      conversationTasks,
      conversationDeliveries,
      flowRunner,
      flowTriggers,
      sender,
      channels,
      hub,
      lifecycle,
      origin,
    );
  }

  /** Starts serving HTTP and consuming the event log; resolves with the bound address. */
  async listen(): Promise<string> {
    // The hub learns the log's head first, so a client connecting at once starts from now.
    await this.hub.start();
    const address = await this.http.listen({ port: this.config.port, host: this.config.host });
    if (!this.config.publicUrl) this.origin.url = address;
    this.dispatcher.start();
    this.assignmentCallbacks.start();
    this.conversationTimers.start();
    this.mediaSweeper.start();
    this.conversationTasks.start();
    this.conversationDeliveries.start();
    this.flowRunner.start();
    this.flowTriggers.start();
    this.sender.start();
    this.insights.start();
    for (const channel of this.channels) await channel.start?.();
    return address;
  }

  /** Graceful stop: refuse new work, finish what is in flight, then close the database. */
  async close(): Promise<void> {
    if (this.lifecycle.closing) return;
    this.lifecycle.closing = true;
    await this.http.close();
    await this.hub.stop();
    await this.assignmentCallbacks.stop();
    await this.conversationTimers.stop();
    await this.mediaSweeper.stop();
    await this.conversationTasks.stop();
    await this.conversationDeliveries.stop();
    await this.flowTriggers.stop();
    await this.flowRunner.stop();
    await this.sender.stop();
    await this.insights.stop();
    for (const channel of this.channels) await channel.stop?.();
    await this.routing.close();
    await this.dispatcher.stop();
    await this.database.close();
  }
}
