package io.github.reliability4j.test.services;

/** The machine's services, with how to start each (from TESTING.md). */
enum Service {
  POSTGRESQL(
      "PostgreSQL 15",
      5432,
      "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
      Protocol.POSTGRES),
  MARIADB(
      "MariaDB",
      3306,
      "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
      Protocol.SERVER_GREETS),
  REDIS(
      "Redis",
      6379,
      "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no"
          + " --dir /var/lib/redis --logfile /var/log/redis/ci.log",
      Protocol.REDIS),
  RABBITMQ("RabbitMQ", 5672, "rabbitmq-server -detached", Protocol.AMQP);

  private final String displayName;
  private final int port;
  private final String startCommand;
  private final Protocol protocol;

  Service(String displayName, int port, String startCommand, Protocol protocol) {
    this.displayName = displayName;
    this.port = port;
    this.startCommand = startCommand;
    this.protocol = protocol;
  }

  String displayName() {
    return displayName;
  }

  String host() {
    return "127.0.0.1";
  }

  int port() {
    return port;
  }

  String startCommand() {
    return startCommand;
  }

  Protocol protocol() {
    return protocol;
  }

  /** What "answers" means for the service. */
  enum Protocol {
    /** Client speaks first: an SSLRequest is answered with 'S' or 'N'. */
    POSTGRES,
    /** Server speaks first: MySQL/MariaDB send a handshake packet on connect. */
    SERVER_GREETS,
    /** PING is answered with +PONG (or an error such as NOAUTH, which still is Redis). */
    REDIS,
    /** The AMQP 0-9-1 protocol header is answered with a Connection.Start method frame (type 1). */
    AMQP
  }
}
