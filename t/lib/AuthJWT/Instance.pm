# SPDX-License-Identifier: Apache-2.0
package AuthJWT::Instance;
# Private httpd instances (and memcached servers) started from a .t file,
# for the tests that need more than the harness's one server: a chosen MPM
# with several children or threads, two servers sharing a memcached
# cluster, graceful restarts, a store killed under the server.
#
#   my $h = AuthJWT::Instance->new(mpm => 'prefork', conf => $text);
#   $h->start;  $h->get('/p', token => $t)->code;  $h->graceful;  $h->stop;
#   my $m = AuthJWT::Instance->memcached;  $m->{port};  $m->stop; $m->start;
#
# Configuration and login helpers, on request: jwt_location (a Location of
# the revocation tests), login_conf and users_file (the login service and
# its bcrypt users), ->login and ->refresh, cookies_of and tokens_of.
#
# Every instance lives in its own temporary directory (config, logs, pid
# file, document root) on a free port of 127.0.0.1, is started with
# `httpd -f CONF -k start` and stopped by the PID in its pid file (TERM,
# then wait until the process is gone; KILL after a while). Whatever is
# still running when the test file exits is stopped in an END block, and
# a start that fails stops what it started and dies with the error log.
use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use Exporter 'import';
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use LWP::UserAgent;
use HTTP::Request;
use JSON ();

my %live;           # "$obj" => $obj, for END
my $seq = 0;

our @EXPORT_OK = qw(jwt_location login_conf users_file spew cookies_of
                    tokens_of);

# jwt_location(PATH, [{ realm => 'ajwt', secret => 'hs64' },] LINE...):
# a <Location> of the revocation tests' configurations: AuthType jwt,
# AuthName REALM, AuthJWTSecret file:@KEYS@/SECRET.secret, then each LINE
# (one directive) as given:
#   jwt_location('/p', 'Require valid-jwt')
#   jwt_location('/revoke', 'SetHandler jwt-revoke', 'Require jwt-role admin')
sub jwt_location {
    my $path = shift;
    my %o = ref $_[0] eq 'HASH' ? %{ shift() } : ();
    my @lines = ('AuthType jwt', 'AuthName ' . ($o{realm} // 'ajwt'),
                 'AuthJWTSecret file:@KEYS@/' . ($o{secret} // 'hs64')
                 . '.secret', @_);
    return "<Location $path>\n" . join('', map { "    $_\n" } @lines)
         . "</Location>\n";
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1,
                                  ReuseAddr => 1)
        or croak "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub port_open {
    my $port = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

sub pid_alive {
    my $pid = shift;
    return 0 unless $pid;
    # a child of ours that exited is reaped here, so kill 0 sees it gone
    waitpid($pid, WNOHANG);
    return kill(0, $pid) ? 1 : 0;
}

sub wait_gone {
    my ($pid, $secs) = @_;
    my $end = time + $secs;
    while (time < $end) {
        return 1 unless pid_alive($pid);
        sleep 0.05;
    }
    return !pid_alive($pid);
}

sub httpd_bin {
    return $ENV{AJWT_HTTPD} if $ENV{AJWT_HTTPD};
    # inside the harness, the httpd it was configured with
    if ($INC{'Apache/Test.pm'}) {
        my $v = eval { Apache::Test::vars() } || {};
        return $v->{httpd} if $v->{httpd} && -x $v->{httpd};
    }
    return -x '/usr/sbin/apache2' ? '/usr/sbin/apache2' : 'httpd';
}

sub modules_dir { $ENV{AJWT_HTTPD_MODULES} || '/usr/lib/apache2/modules' }

sub module_path {
    my $m = $ENV{AJWT_MODULE} or croak 'AJWT_MODULE is not set (run from '
                                     . 't/TEST or make test)';
    return $m;
}

# The ajwt-revoke tool of the same build: BUILD/.libs/mod_auth_jwt.so ->
# BUILD/tools/ajwt-revoke, unless AJWT_REVOKE_TOOL says otherwise.
sub revoke_tool {
    return $ENV{AJWT_REVOKE_TOOL} if $ENV{AJWT_REVOKE_TOOL};
    return dirname(dirname(module_path())) . '/tools/ajwt-revoke';
}

sub keys_dir {
    return $ENV{AJWT_KEYS} if $ENV{AJWT_KEYS};
    my $v = Apache::Test::vars();
    return "$v->{serverroot}/keys";
}

# new(mpm => prefork|event|worker, conf => "directives...",
#     children => N (prefork), threads => N, procs => N (event/worker),
#     keepalive => 0|1, loglevel => 'info auth_jwt:debug')
sub new {
    my ($class, %o) = @_;
    my $self = bless {
        mpm       => $o{mpm} || 'prefork',
        conf      => $o{conf} || '',
        children  => $o{children} || 4,
        threads   => $o{threads} || 8,
        procs     => $o{procs} || 2,
        keepalive => $o{keepalive} ? 'On' : 'Off',
        loglevel  => $o{loglevel} || 'info auth_jwt:debug',
        name      => $o{name} || 'h' . ++$seq,
    }, $class;
    $self->{dir} = tempdir("ajwt-$self->{name}-XXXXXX", TMPDIR => 1,
                           CLEANUP => !$ENV{AJWT_KEEP_TMP});
    chmod 0755, $self->{dir};   # children run as nobody when we are root
    $self->{port} = $o{port} || free_port();
    mkdir "$self->{dir}/$_" for qw(htdocs run logs);
    for my $f (qw(p q a)) {
        spew("$self->{dir}/htdocs/$f", "ok $f\n");
    }
    chmod 0755, "$self->{dir}/htdocs";
    return $self;
}

# spew(FILE, DATA, [MODE]): write FILE, mode 0644 unless told (readable
# by the children, who run as nobody when the test runs as root).
sub spew {
    my ($file, $data, $mode) = @_;
    open my $fh, '>', $file or croak "$file: $!";
    print $fh $data;
    close $fh or croak "$file: $!";
    chmod $mode // 0644, $file or croak "chmod $file: $!";
}

sub slurp {
    my $file = shift;
    open my $fh, '<', $file or return '';
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}

sub dir        { $_[0]{dir} }
sub port       { $_[0]{port} }
sub conf_file  { "$_[0]{dir}/httpd.conf" }
sub error_log  { "$_[0]{dir}/logs/error_log" }
sub access_log { "$_[0]{dir}/logs/access_log" }
sub pid_file   { "$_[0]{dir}/run/httpd.pid" }
sub url        { "http://127.0.0.1:$_[0]{port}$_[1]" }

sub mpm_conf {
    my $self = shift;
    my $mods = modules_dir();
    if ($self->{mpm} eq 'prefork') {
        my $n = $self->{children};
        return <<"EOC";
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
StartServers $n
MinSpareServers $n
MaxSpareServers @{[ $n * 2 ]}
ServerLimit @{[ $n * 2 ]}
MaxRequestWorkers @{[ $n * 2 ]}
MaxConnectionsPerChild 0
EOC
    }
    my ($p, $t) = ($self->{procs}, $self->{threads});
    return <<"EOC";
LoadModule mpm_$self->{mpm}_module $mods/mod_mpm_$self->{mpm}.so
StartServers $p
ServerLimit @{[ $p * 2 ]}
ThreadLimit $t
ThreadsPerChild $t
MinSpareThreads $t
MaxSpareThreads @{[ $p * $t ]}
MaxRequestWorkers @{[ $p * $t ]}
MaxConnectionsPerChild 0
EOC
}

sub write_conf {
    my $self = shift;
    my $d = $self->{dir};
    my $mods = modules_dir();
    my $module = module_path();
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    my $conf = <<"EOC";
# generated by AuthJWT::Instance for $0
ServerRoot "$d"
ServerName 127.0.0.1
Listen 127.0.0.1:$self->{port}
PidFile "$d/run/httpd.pid"
DefaultRuntimeDir "$d/run"
ErrorLog "$d/logs/error_log"
LogLevel $self->{loglevel}
# %P and %{tid}P: which child and thread answered each request
LogFormat "%P %{tid}P %>s %m %U%q" ajwt
CustomLog "$d/logs/access_log" ajwt
${user}KeepAlive $self->{keepalive}
Timeout 10
GracefulShutdownTimeout 5
@{[ $self->mpm_conf ]}
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule headers_module $mods/mod_headers.so
LoadModule auth_jwt_module $module
DocumentRoot "$d/htdocs"
<Directory "$d/htdocs">
    Require all granted
</Directory>
$self->{conf}
EOC
    $conf =~ s/\@KEYS\@/keys_dir()/ge;
    spew($self->conf_file, $conf);
}

# Start and wait until the parent's pid file is there and the port
# answers; dies (after stopping whatever started) if it does not come up.
sub start {
    my $self = shift;
    $self->write_conf;
    unlink $self->pid_file;
    my $out = `@{[ httpd_bin() ]} -f @{[ $self->conf_file ]} -k start 2>&1`;
    my $rc = $?;
    $live{"$self"} = $self;
    my $end = time + 10;
    while (time < $end) {
        last if $self->pid && port_open($self->{port});
        last if $rc;
        sleep 0.05;
    }
    unless (!$rc && $self->pid && port_open($self->{port})) {
        my $log = slurp($self->error_log);
        $self->stop;
        croak "httpd $self->{name} did not start (rc $rc): $out\n$log";
    }
    $self->{started_pid} = $self->pid;
    $self->wait_children;
    return $self;
}

# `httpd -t` on the configuration: (exit status, output).
sub configtest {
    my $self = shift;
    $self->write_conf;
    my $out = `@{[ httpd_bin() ]} -t -f @{[ $self->conf_file ]} 2>&1`;
    return ($? >> 8, $out);
}

sub pid {
    my $self = shift;
    my $p = slurp($self->pid_file);
    return $p =~ /^(\d+)/ ? $1 : undef;
}

# The parent's children, from /proc (Linux).
sub children {
    my $self = shift;
    my $pp = $self->pid or return ();
    my @kids;
    for my $st (glob '/proc/[0-9]*/stat') {
        my $s = slurp($st);
        # pid (comm) state ppid ...
        next unless $s =~ /^(\d+) \(.*\) \S (\d+) /s;
        push @kids, $1 if $2 == $pp;
    }
    return sort { $a <=> $b } @kids;
}

# Wait until the MPM has spawned its start-up children.
sub wait_children {
    my ($self, $want) = @_;
    $want ||= $self->{mpm} eq 'prefork' ? $self->{children}
                                        : $self->{procs};
    my $end = time + 5;
    while (time < $end) {
        # mod_cgid or others could add children: at least $want
        my @k = $self->children;
        return 1 if @k >= $want;
        sleep 0.05;
    }
    return 0;
}

# Stop by PID: TERM to the parent, then wait until it and its children
# are gone (KILL after 10 s).
sub stop {
    my $self = shift;
    delete $live{"$self"};
    my $pid = $self->pid || $self->{started_pid} or return;
    my @kids = $self->children;
    kill 'TERM', $pid;
    unless (wait_gone($pid, 10)) {
        kill 'KILL', $pid, @kids;
        wait_gone($pid, 2);
    }
    wait_gone($_, 2) for @kids;
    unlink $self->pid_file;
}

# Count of "resuming normal operations" lines: one per generation.
sub generations {
    my $self = shift;
    my $n = () = slurp($self->error_log) =~ /resuming normal operations/g;
    return $n;
}

# Graceful restart through `httpd -k graceful`, waiting for the new
# generation to be up (and the old one's idle children gone, when asked).
sub graceful {
    my ($self, %o) = @_;
    my $gen = $self->generations;
    my @old = $self->children;
    my $out = `@{[ httpd_bin() ]} -f @{[ $self->conf_file ]} -k graceful 2>&1`;
    croak "graceful failed: $out" if $?;
    my $end = time + 10;
    sleep 0.05 while time < $end && $self->generations <= $gen;
    croak 'no new generation after graceful:' . slurp($self->error_log)
        if $self->generations <= $gen;
    # idle children of the old generation leave at once (no keep-alive)
    my %old = map { $_ => 1 } @old;
    while (time < $end) {
        last unless grep { pid_alive($_) } @old;
        sleep 0.05;
    }
    $self->wait_children;
    return $self;
}

# Error log since a mark.
sub log_mark { -s $_[0]->error_log || 0 }
sub access_mark { -s $_[0]->access_log || 0 }
sub tail_from {
    my ($file, $mark) = @_;
    sleep 0.05;
    open my $fh, '<', $file or return '';
    seek $fh, $mark, 0;
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}
sub log_since    { tail_from($_[0]->error_log, $_[1] || 0) }
sub access_since { tail_from($_[0]->access_log, $_[1] || 0) }

# ---------------------------------------------------------------------
# The login service (jwt-login, jwt-refresh, jwt-logout)

# users_file(FILE, { user => password, ... }, cost => N): a user file of
# bcrypt entries made by `htpasswd -nbB [-C N]`; dies when htpasswd fails
# or answers anything but a bcrypt line (of that cost, when given).
sub users_file {
    my ($file, $pw, %o) = @_;
    my $cost = $o{cost} ? "-C $o{cost} " : '';
    my $want = $o{cost} ? sprintf('%02d\\$', $o{cost}) : '';
    spew($file, join '', map {
        my $l = `htpasswd -nbB $cost$_ '$pw->{$_}'`;
        croak "htpasswd for $_ failed: $l"
            if $? || $l !~ /^\Q$_\E:\$2y\$$want/;
        $l =~ s/\n+\z/\n/;
        $l;
    } sort keys %$pw);
    return $file;
}

# login_conf(users => FILE, root => [LINES], refresh => 1, logout => 1):
# the login service of t/25 and t/5x. mod_authn_file; at "/" the ES256
# key ec256.key (kid sso1) signs, issuer https://sso.test, the cookies
# jwt and jwt_refresh (path /auth/refresh), the users of FILE, then the
# ROOT lines; jwt-login at /auth/login, jwt-refresh at /auth/refresh and
# jwt-logout at /auth/refresh/logout (refresh => 0, logout => 0: left
# out); /p wants a valid token (AuthName sso). The revocation store and
# any other location are the caller's.
sub login_conf {
    my (%o) = @_;
    my $mods = modules_dir();
    my $keys = keys_dir();
    my $users = $o{users} or croak 'login_conf: users => FILE';
    my $loc = sub {
        my $path = shift;
        return qq{<Location "$path">\n} . join('', map { "    $_\n" } @_)
             . "</Location>\n";
    };
    return "LoadModule authn_file_module $mods/mod_authn_file.so\n"
        . $loc->('/', "AuthJWTSignKey $keys/ec256.key ES256 sso1",
                 'AuthJWTIssuer https://sso.test', 'AuthJWTCookie jwt',
                 'AuthJWTRefreshCookie jwt_refresh /auth/refresh',
                 "AuthUserFile $users", @{ $o{root} || [] })
        . $loc->('/auth/login', 'SetHandler jwt-login')
        . (($o{refresh} // 1)
           ? $loc->('/auth/refresh', 'SetHandler jwt-refresh') : '')
        . (($o{logout} // 1)
           ? $loc->('/auth/refresh/logout', 'SetHandler jwt-logout') : '')
        . $loc->('/p', 'AuthType jwt', 'AuthName sso', 'Require valid-jwt');
}

# $h->login(USER, PASSWORD, path => '/auth/login', headers => [...],
# from => N): a JSON login (POST {"username", "password"}); the response.
sub login {
    my ($self, $user, $pass, %o) = @_;
    return $self->post_json($o{path} || '/auth/login',
                            { username => $user, password => $pass }, %o);
}

# $h->refresh(REFRESH_TOKEN, path => '/auth/refresh', headers => [...]):
# a POST to jwt-refresh with the refresh cookie; the response.
sub refresh {
    my ($self, $rt, %o) = @_;
    return $self->request(POST => $o{path} || '/auth/refresh', %o,
                          cookie => "jwt_refresh=$rt");
}

# cookies_of(RESPONSE): its Set-Cookie headers by cookie name,
# { value, attrs (the text after the value), line }.
sub cookies_of {
    my $res = shift;
    my %c;
    for my $sc ($res->header('Set-Cookie')) {
        next unless $sc =~ /^([^=;\s]+)=([^;]*)(.*)$/;
        $c{$1} = { value => $2, attrs => $3, line => $sc };
    }
    return \%c;
}

# tokens_of(RESPONSE): (the access_token of its JSON body, the value of
# its jwt_refresh cookie), undef for either it lacks.
sub tokens_of {
    my $res = shift;
    my $j = eval { JSON::decode_json($res->decoded_content) };
    my $rc = cookies_of($res)->{jwt_refresh};
    return ((ref $j eq 'HASH' ? $j->{access_token} : undef),
            $rc ? $rc->{value} : undef);
}

# ---------------------------------------------------------------------
# Requests (a new connection each: LWP without keep-alive)

# The user agent; ua(N): one whose connections come from 127.0.0.N.
sub ua {
    my ($self, $from) = @_;
    return $self->{ua} ||= LWP::UserAgent->new(keep_alive => 0, timeout => 10,
                                               max_redirect => 0)
        unless $from;
    return $self->{ua_from}{$from} ||= LWP::UserAgent->new(
        keep_alive => 0, timeout => 10, max_redirect => 0,
        local_address => "127.0.0.$from");
}

# request(METHOD, PATH, token => T, cookie => 'a=b; c=d', type => CT,
#         body => TEXT, headers => [[name, value], ...], from => N)
sub request {
    my ($self, $method, $path, %o) = @_;
    my $req = HTTP::Request->new($method => $self->url($path));
    $req->header(Authorization => "Bearer $o{token}") if defined $o{token};
    $req->header(Cookie => $o{cookie}) if defined $o{cookie};
    $req->header('Content-Type' => $o{type}) if defined $o{type};
    for my $h (@{ $o{headers} || [] }) {
        $req->header(@$h);
    }
    if (defined $o{body}) {
        $req->content($o{body});
        $req->header('Content-Length' => length $o{body});
    }
    return $self->ua($o{from})->request($req);
}

sub get { my ($self, $path, %o) = @_; $self->request(GET => $path, %o) }

# code_within(SECS, WANT, PATH, token => T, ...): GET PATH every 0.3 s
# until it answers WANT or SECS have passed; the last status, for the
# test to compare with WANT (a server that never gets there still fails).
sub code_within {
    my ($self, $secs, $want, $path, %o) = @_;
    my $end = time + $secs;
    my $c = 0;
    while (time < $end) {
        $c = $self->get($path, %o)->code;
        last if $c == $want;
        sleep 0.3;
    }
    return $c;
}

sub form_encode {
    my @kv = @_;
    my @out;
    while (my ($k, $v) = splice @kv, 0, 2) {
        (my $e = $v) =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge;
        push @out, "$k=$e";
    }
    return join '&', @out;
}

# post_form($path, [k => v, ...], token => $admin)
sub post_form {
    my ($self, $path, $fields, %o) = @_;
    return $self->request(POST => $path, %o, body => form_encode(@$fields),
                          type => 'application/x-www-form-urlencoded');
}

# post_json($path, {k => v}, token => $admin)
sub post_json {
    my ($self, $path, $obj, %o) = @_;
    return $self->request(POST => $path, %o,
                          body => JSON->new->canonical->encode($obj),
                          type => 'application/json');
}

# burst($path, $token, $n, par => 10, tag => 'x'): $n requests, each on a
# new connection, $par of them in flight at once (so that the MPM hands
# them to different children and threads); returns the status codes.
# Each request's query is "?b=TAG-I", so served_by() can find them in the
# access log.
sub burst {
    my ($self, $path, $token, $n, %o) = @_;
    my $par = $o{par} || 10;
    my $tag = $o{tag} || 'b';
    my @codes;
    my $i = 0;
    while ($i < $n) {
        my @socks;
        for (1 .. $par) {
            last if $i >= $n;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $self->{port},
                                          Proto => 'tcp', Timeout => 10)
                or croak "connect: $!";
            my $auth = defined $token ? "Authorization: Bearer $token\r\n"
                                      : '';
            print $s "GET $path?b=$tag-$i HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   . "${auth}Connection: close\r\n\r\n";
            push @socks, $s;
            $i++;
        }
        for my $s (@socks) {
            local $/;
            my $resp = <$s>;
            close $s;
            push @codes, (defined $resp && $resp =~ m{^HTTP/1\.\d (\d{3})})
                         ? $1 + 0 : 0;
        }
    }
    return @codes;
}

# served_by($tag [, $mark]): [pid, tid, status] of every burst request
# with that tag, from the access log.
sub served_by {
    my ($self, $tag, $mark) = @_;
    my @rows;
    for my $line (split /\n/, $self->access_since($mark || 0)) {
        next unless $line =~ /^(\d+) (\d+) (\d{3}) \S+ \S*[?&]b=\Q$tag\E-\d+/;
        push @rows, [$1, $2, $3];
    }
    return @rows;
}

# ---------------------------------------------------------------------
# memcached

sub memcached_bin {
    for my $b ($ENV{AJWT_MEMCACHED} || (), '/usr/bin/memcached',
               '/usr/local/bin/memcached') {
        return $b if -x $b;
    }
    return;
}

# A memcached on 127.0.0.1 (a free port unless port => N), started and
# waited for; ->stop, ->start again (same port), killed in END.
sub memcached {
    my ($class, %o) = @_;
    my $m = bless { port => $o{port} || free_port(), kind => 'memcached' },
                  'AuthJWT::Instance::Memcached';
    $m->start;
    return $m;
}

# A redis-server on 127.0.0.1 (a free port), with its own directory and
# config: appendonly => 1 for AOF persistence, acl => [lines] for ACL
# users (e.g. 'user ajwt on >pw ~* +@all', 'user default off'). ->stop,
# ->start again (same port and directory: an AOF is read back), killed in
# END.
sub redis_bin {
    for my $b ($ENV{AJWT_REDIS} || (), '/usr/bin/redis-server') {
        return $b if -x $b;
    }
    return;
}

sub redis {
    my ($class, %o) = @_;
    my $r = bless { port => $o{port} || free_port(), kind => 'redis-server',
                    dir => tempdir('ajwt-redis-XXXXXX', TMPDIR => 1,
                                   CLEANUP => !$ENV{AJWT_KEEP_TMP}) },
                  'AuthJWT::Instance::Redis';
    chmod 0755, $r->{dir};
    spew("$r->{dir}/redis.conf", join '', map { "$_\n" }
         "port $r->{port}", 'bind 127.0.0.1', "dir $r->{dir}",
         'daemonize no', 'save ""',
         'appendonly ' . ($o{appendonly} ? 'yes' : 'no'),
         'appendfsync always', "logfile $r->{dir}/redis.log",
         @{ $o{acl} || [] });
    $r->start;
    return $r;
}

# local $?: stop() waits for its processes, and a wait sets $?, which in
# an END block becomes the test's exit status: a server that had to be
# killed (slow to stop under ASan or valgrind) would fail a test file
# whose every test passed.
END {
    local $?;
    for my $o (values %live) {
        eval { $o->stop };
    }
}

# A helper server run in the foreground as a child of the test (memcached,
# redis-server): start() forks and execs $self->argv, waits until its port
# answers (croaks, after killing it, if it does not within wait_secs or it
# exits); stop() by PID: TERM, KILL after 5 s. Both are in END's care.
package AuthJWT::Instance::Daemon;
use Carp qw(croak);
use Time::HiRes qw(sleep time);

sub port { $_[0]{port} }
sub server { "127.0.0.1:$_[0]{port}" }
sub pid { $_[0]{pid} }

sub start {
    my $self = shift;
    my @cmd = $self->argv;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    $live{"$self"} = $self;
    my $end = time + $self->wait_secs;
    until (AuthJWT::Instance::port_open($self->{port})) {
        if (time > $end || !AuthJWT::Instance::pid_alive($pid)) {
            $self->stop;
            croak "$self->{kind} on port $self->{port} did not start";
        }
        sleep 0.02;
    }
    return $self;
}

sub stop {
    my $self = shift;
    delete $live{"$self"};
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    unless (AuthJWT::Instance::wait_gone($pid, 5)) {
        kill 'KILL', $pid;
        AuthJWT::Instance::wait_gone($pid, 2);
    }
    waitpid $pid, 0;
}

package AuthJWT::Instance::Memcached;
use Carp qw(croak);
our @ISA = ('AuthJWT::Instance::Daemon');

sub wait_secs { 5 }
sub argv {
    my $self = shift;
    my $bin = AuthJWT::Instance::memcached_bin() or croak 'no memcached';
    return ($bin, '-l', '127.0.0.1', '-p', $self->{port}, '-U', '0',
            '-m', '16', '-t', '2', ($> == 0 ? ('-u', 'nobody') : ()));
}

package AuthJWT::Instance::Redis;
use Carp qw(croak);
our @ISA = ('AuthJWT::Instance::Daemon');

sub dir { $_[0]{dir} }
sub wait_secs { 10 }
sub argv {
    my $self = shift;
    my $bin = AuthJWT::Instance::redis_bin() or croak 'no redis-server';
    return ($bin, "$self->{dir}/redis.conf");
}

# One command in Redis' inline protocol (no AUTH: tests that need it say
# so); the first reply line.
sub command {
    my ($self, $cmd) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port}, Proto => 'tcp',
                                  Timeout => 2) or return undef;
    print $s "$cmd\r\n";
    my $l = <$s>;
    close $s;
    $l =~ s/\r?\n\z// if defined $l;
    return $l;
}

package AuthJWT::Instance::Memcached;

# curr_items from the server's stats (how many keys it holds).
sub items {
    my $self = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port}, Proto => 'tcp',
                                  Timeout => 2) or return undef;
    print $s "stats\r\n";
    my $n;
    while (my $l = <$s>) {
        $n = $1 if $l =~ /^STAT curr_items (\d+)/;
        last if $l =~ /^END/;
    }
    close $s;
    return $n;
}

1;
