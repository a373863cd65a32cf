import type { Clock, SidGenerator } from "@switchboard/engine";
import type { Database, Tx } from "../platform/db/database.ts";
import type { MediaTable } from "../platform/db/schema.ts";
import { invalidParameter } from "../platform/errors.ts";
import { isoAt } from "../platform/time.ts";

/** A file's description, without its bytes: what messages list (Twilio's message `media` items). */
export interface MediaRef {
  sid: string;
  content_type: string;
  filename: string | null;
  size: number;
  category: "media";
}

export type Media = Omit<MediaTable, "content">;

export interface Upload {
  contentType: string;
  filename?: string;
  content: Buffer;
  /** Set for uploads outside the API (a visitor, an email's sender): only their messages take it. */
  uploadedBy?: string;
}

/** A message about to be stored, and the media it should carry. */
export interface Attachment {
  conversationSid: string;
  messageSid: string;
  author: string;
  mediaSids: string[];
}

/** At most this many files on one message, as on Twilio. */
export const MAX_MEDIA_PER_MESSAGE = 10;

const unattachable = (sid: string, why: string) =>
  invalidParameter(`Media ${sid} cannot be attached: ${why}`);

/**
 * Files for conversation messages. An upload is stored whole, in the database, before its SID is
 * handed out; attaching it to a message happens in the message's own transaction, once (a file
 * belongs to one message) and only for a message its uploader wrote when the uploader was not an
 * API caller. Deleting the message or conversation deletes its files; uploads never attached are
 * swept after a day.
 */
export class MediaStore {
  constructor(
    private readonly database: Database,
    private readonly ids: SidGenerator,
    private readonly clock: Clock,
  ) {}

  async upload(accountSid: string, upload: Upload): Promise<Media> {
    const row: MediaTable = {
      sid: this.ids.next("ME"),
      account_sid: accountSid,
      content_type: upload.contentType,
      filename: upload.filename ?? null,
      size: upload.content.length,
      content: upload.content,
      uploaded_by: upload.uploadedBy ?? null,
      conversation_sid: null,
      message_sid: null,
      date_created: isoAt(this.clock.now()),
    };
    await this.database.db.insertInto("media").values(row).execute();
    return withoutContent(row);
  }

  async get(accountSid: string, sid: string): Promise<Media | undefined> {
    return this.database.db
      .selectFrom("media")
      .select(MEDIA_COLUMNS)
      .where("account_sid", "=", accountSid)
      .where("sid", "=", sid)
      .executeTakeFirst();
  }

  /** A file with its bytes; without an account only for callers holding a signed link to it. */
  async withContent(sid: string, accountSid?: string): Promise<MediaTable | undefined> {
    let query = this.database.db.selectFrom("media").selectAll().where("sid", "=", sid);
    if (accountSid !== undefined) query = query.where("account_sid", "=", accountSid);
    return query.executeTakeFirst();
  }

  /** The files attached to a message, without their bytes. */
  async ofMessage(accountSid: string, messageSid: string): Promise<Media[]> {
    return this.database.db
      .selectFrom("media")
      .select(MEDIA_COLUMNS)
      .where("account_sid", "=", accountSid)
      .where("message_sid", "=", messageSid)
      .orderBy("date_created")
      .orderBy("sid")
      .execute();
  }

  /**
   * Attaches files to messages inside the messages' transaction and returns each message's refs.
   * Refuses (and so rolls the messages back) a SID that is not an unattached file of the account,
   * or that its uploader may not attach to this author's message.
   */
  async attach(tx: Tx, accountSid: string, attachments: Attachment[]): Promise<Map<string, MediaRef[]>> {
    const result = new Map<string, MediaRef[]>();
    const wanted = attachments.flatMap((a) => a.mediaSids);
    if (wanted.length === 0) return result;
    if (new Set(wanted).size !== wanted.length)
      throw unattachable(
        wanted.find((sid, i) => wanted.indexOf(sid) !== i)!,
        "it is named twice",
      );
    const rows = new Map(
      (
        await tx.db
          .selectFrom("media")
          .select(MEDIA_COLUMNS)
          .where("account_sid", "=", accountSid)
          .where("sid", "in", wanted)
          .execute()
      ).map((row) => [row.sid, row]),
    );
    for (const attachment of attachments) {
      if (attachment.mediaSids.length > MAX_MEDIA_PER_MESSAGE)
        throw invalidParameter(`A message carries at most ${MAX_MEDIA_PER_MESSAGE} media`);
      const refs: MediaRef[] = [];
      for (const sid of attachment.mediaSids) {
        const row = rows.get(sid);
        if (!row) throw unattachable(sid, "no such media in this account");
        if (row.message_sid !== null) throw unattachable(sid, `it belongs to message ${row.message_sid}`);
        if (row.uploaded_by !== null && row.uploaded_by !== attachment.author)
          throw unattachable(sid, "it was uploaded by someone else");
        refs.push(refOf(row));
        const claimed = await tx.db
          .updateTable("media")
          .set({ conversation_sid: attachment.conversationSid, message_sid: attachment.messageSid })
          .where("sid", "=", sid)
          .where("message_sid", "is", null)
          .executeTakeFirst();
        // A concurrent message took it between the read and this update.
        if (Number(claimed.numUpdatedRows) !== 1) throw unattachable(sid, "another message took it");
      }
      result.set(attachment.messageSid, refs);
    }
    return result;
  }

  /** Deletes the files of a conversation, or of one of its messages. */
  async removeOf(tx: Tx, accountSid: string, conversationSid: string, messageSid?: string): Promise<void> {
    let query = tx.db
      .deleteFrom("media")
      .where("account_sid", "=", accountSid)
      .where("conversation_sid", "=", conversationSid);
    if (messageSid !== undefined) query = query.where("message_sid", "=", messageSid);
    await query.execute();
  }

  /** Deletes uploads never attached that are older than `ageMs`; returns how many. */
  async sweep(ageMs: number): Promise<number> {
    const result = await this.database.db
      .deleteFrom("media")
      .where("message_sid", "is", null)
      .where("date_created", "<", isoAt(this.clock.now() - ageMs))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

const MEDIA_COLUMNS = [
  "sid",
  "account_sid",
  "content_type",
  "filename",
  "size",
  "uploaded_by",
  "conversation_sid",
  "message_sid",
  "date_created",
] as const;

export function refOf(media: Media): MediaRef {
  return {
    sid: media.sid,
    content_type: media.content_type,
    filename: media.filename,
    size: media.size,
    category: "media",
  };
}

/** A message's media as stored on its row. */
export function mediaOf(json: string | null): MediaRef[] {
  return json === null ? [] : (JSON.parse(json) as MediaRef[]);
}

function withoutContent(row: MediaTable): Media {
  const { content: _bytes, ...media } = row;
  return media;
}
