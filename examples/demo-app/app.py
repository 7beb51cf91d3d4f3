#!/usr/bin/python3
"""kiln's demo app: files in S3 (MinIO), their records in MySQL (MariaDB).

Configuration comes only from the environment, as kiln-firstboot renders it
from the profile's roles.app.env:

    DB_HOST DB_NAME DB_USER DB_PASSWORD [DB_PORT=3306]
    S3_ENDPOINT S3_BUCKET S3_ACCESS_KEY S3_SECRET_KEY [S3_REGION=us-east-1]
    FLASK_SECRET_KEY
    [APP_BIND=127.0.0.1:8000] [MAX_UPLOAD_MB=64]

Routes:
    POST /records            multipart form: name, file -> 201 + the record as JSON
    GET  /records/<id>       the record as JSON
    GET  /records/<id>/file  the stored file
    GET  /healthz            200 when MySQL and the bucket answer, else 503

Only Debian 12 packages: python3-flask, python3-pymysql, python3-boto3.
"""
import hashlib
import logging
import os
import sys
import threading
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pymysql
from flask import Flask, Response, abort, jsonify, request

REQUIRED = ("DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD", "S3_ENDPOINT", "S3_BUCKET",
            "S3_ACCESS_KEY", "S3_SECRET_KEY", "FLASK_SECRET_KEY")

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(255)    NOT NULL,
    object_key VARCHAR(255)    NOT NULL UNIQUE,
    sha256     CHAR(64)        NOT NULL,
    size       BIGINT UNSIGNED NOT NULL,
    created    DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""

log = logging.getLogger("kiln-demo-app")


def load_config(env):
    missing = [k for k in REQUIRED if not env.get(k)]
    if missing:
        raise SystemExit(f"kiln-demo-app: missing environment: {', '.join(missing)}")
    cfg = {k: env[k] for k in REQUIRED}
    try:
        cfg["DB_PORT"] = int(env.get("DB_PORT", "3306"))
        host, _, port = env.get("APP_BIND", "127.0.0.1:8000").rpartition(":")
        cfg["APP_HOST"], cfg["APP_PORT"] = host or "127.0.0.1", int(port)
        cfg["MAX_UPLOAD_MB"] = int(env.get("MAX_UPLOAD_MB", "64"))
    except ValueError:
        raise SystemExit("kiln-demo-app: DB_PORT, APP_BIND's port and MAX_UPLOAD_MB must be numbers")
    cfg["S3_REGION"] = env.get("S3_REGION", "us-east-1")
    return cfg


class Backends:
    """MySQL connections (one per request: simple and robust to DB restarts)
    and one S3 client; the table is created on first successful contact."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.s3 = boto3.client(
            "s3", endpoint_url=cfg["S3_ENDPOINT"], region_name=cfg["S3_REGION"],
            aws_access_key_id=cfg["S3_ACCESS_KEY"], aws_secret_access_key=cfg["S3_SECRET_KEY"],
            config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                          connect_timeout=5, read_timeout=30,
                                          retries={"max_attempts": 2}))
        self._schema_ready = False
        self._lock = threading.Lock()

    def db(self):
        c = self.cfg
        conn = pymysql.connect(host=c["DB_HOST"], port=c["DB_PORT"], user=c["DB_USER"],
                               password=c["DB_PASSWORD"], database=c["DB_NAME"],
                               charset="utf8mb4", connect_timeout=5, autocommit=True,
                               cursorclass=pymysql.cursors.DictCursor)
        if not self._schema_ready:
            with self._lock, conn.cursor() as cur:
                cur.execute(SCHEMA)
                self._schema_ready = True
        return conn


def record_json(row):
    return {
        "id": row["id"], "name": row["name"], "object_key": row["object_key"],
        "sha256": row["sha256"], "size": row["size"],
        "created": row["created"].isoformat(timespec="microseconds") + "Z",
    }


def create_app(cfg):
    app = Flask("kiln-demo-app")
    app.secret_key = cfg["FLASK_SECRET_KEY"]
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_MB"] * 1024 * 1024
    be = Backends(cfg)
    bucket = cfg["S3_BUCKET"]

    def fetch(record_id):
        conn = be.db()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM records WHERE id = %s", (record_id,))
                return cur.fetchone()
        finally:
            conn.close()

    @app.post("/records")
    def create_record():
        name = request.form.get("name", "").strip()
        upload = request.files.get("file")
        if not name or len(name) > 255:
            return jsonify(error="form field 'name' is required (1-255 characters)"), 400
        if upload is None:
            return jsonify(error="form field 'file' is required"), 400
        data = upload.read()
        digest = hashlib.sha256(data).hexdigest()
        key = f"records/{uuid.uuid4().hex}"
        be.s3.put_object(Bucket=bucket, Key=key, Body=data,
                         ContentType="application/octet-stream", Metadata={"sha256": digest})
        conn = be.db()
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO records (name, object_key, sha256, size) VALUES (%s, %s, %s, %s)",
                            (name, key, digest, len(data)))
                new_id = cur.lastrowid
        except Exception:
            be.s3.delete_object(Bucket=bucket, Key=key)     # no orphan object
            raise
        finally:
            conn.close()
        row = fetch(new_id)
        resp = jsonify(record_json(row))
        resp.status_code = 201
        resp.headers["Location"] = f"/records/{new_id}"
        return resp

    @app.get("/records/<int:record_id>")
    def get_record(record_id):
        row = fetch(record_id)
        if row is None:
            abort(404)
        return jsonify(record_json(row))

    @app.get("/records/<int:record_id>/file")
    def get_file(record_id):
        row = fetch(record_id)
        if row is None:
            abort(404)
        try:
            obj = be.s3.get_object(Bucket=bucket, Key=row["object_key"])
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "NoSuchKey":
                return jsonify(error="the record's object is missing from the bucket"), 502
            raise
        return Response(obj["Body"].iter_chunks(64 * 1024), mimetype="application/octet-stream",
                        headers={"Content-Length": str(obj["ContentLength"]),
                                 "X-Content-SHA256": row["sha256"]})

    @app.get("/healthz")
    def healthz():
        status = {}
        try:
            conn = be.db()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
            finally:
                conn.close()
            status["db"] = "ok"
        except Exception as e:  # noqa: BLE001 - report, do not crash
            status["db"] = f"error: {type(e).__name__}"
        try:
            be.s3.head_bucket(Bucket=bucket)
            status["s3"] = "ok"
        except Exception as e:  # noqa: BLE001
            status["s3"] = f"error: {type(e).__name__}"
        ok = all(v == "ok" for v in status.values())
        return jsonify(status), 200 if ok else 503

    @app.errorhandler(413)
    def too_large(_):
        return jsonify(error=f"upload larger than {cfg['MAX_UPLOAD_MB']} MiB"), 413

    @app.errorhandler(404)
    def not_found(_):
        return jsonify(error="not found"), 404

    @app.errorhandler(500)
    def internal(_):
        return jsonify(error="internal error; see the service log"), 500

    return app


def main():
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    cfg = load_config(os.environ)
    app = create_app(cfg)
    log.info("listening on http://%s:%d", cfg["APP_HOST"], cfg["APP_PORT"])
    from werkzeug.serving import run_simple
    run_simple(cfg["APP_HOST"], cfg["APP_PORT"], app, threaded=True)


if __name__ == "__main__":
    main()
