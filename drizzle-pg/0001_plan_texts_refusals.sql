CREATE TABLE "refusals" (
	"key_id" text NOT NULL,
	"date" text NOT NULL,
	"reason" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "refusals_key_id_date_reason_pk" PRIMARY KEY("key_id","date","reason")
);
--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "name_zh" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "description_zh" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "refusals" ADD CONSTRAINT "refusals_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "refusals_date_idx" ON "refusals" USING btree ("date");