# SPDX-License-Identifier: Apache-2.0
package AuthJWT::Provider;
# Private httpd instances for the identity-provider tests (t/30-39).
#
#   AuthJWT::Provider->module(conf => [LINES])
#       the module under test over plain HTTP with a configuration of the
#       test's own; one per scenario, so the key cache in shared memory and
#       its refresh rate limit start afresh each time.
#   AuthJWT::Provider->idp(cert => $server_cert)
#       a fake identity provider over HTTPS (mod_ssl, a server certificate
#       from a test CA made here with the openssl CLI). Every answer comes
#       from files the test rewrites between steps (body, status, content
#       type, Cache-Control, a delay before answering), through one CGI.
#
# Both run httpd -DFOREGROUND as a child of the test: a refused start-up
# shows as the child's exit, and the test stops them itself (at the latest
# when it ends). Directories are world-readable because httpd's children
# run as nobody when the suite runs as root.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();
use LWP::UserAgent ();
use JSON ();

our @EXPORT_OK = qw(tmpdir make_ca make_cert spew slurp jwk jwks_json
                    free_port wait_until);

my $MODS = $ENV{AJWT_HTTPD_MODULES} || '/usr/lib/apache2/modules';
my $HTTPD = ($INC{"Apache/Test.pm"} && eval { Apache::Test::vars("httpd") })
    || (-x '/usr/sbin/apache2' ? '/usr/sbin/apache2' : 'httpd');
my %live;     # pid => server, stopped at exit whatever happened

sub tmpdir {
    my $d = File::Temp::tempdir('ajwt-idp-XXXXXX', TMPDIR => 1,
                                CLEANUP => !$ENV{AJWT_KEEP_TMP});
    chmod 0755, $d;
    return $d;
}

sub spew {
    my ($file, $data) = @_;
    open my $fh, '>', "$file.tmp$$" or die "$file: $!";
    binmode $fh;
    print $fh $data;
    close $fh or die "$file: $!";
    chmod 0644, "$file.tmp$$";
    # rename: a reader (the CGI) never sees a half-written file
    rename "$file.tmp$$", $file or die "$file: $!";
}

sub slurp {
    my $f = shift;
    open my $fh, '<', $f or return '';
    binmode $fh;
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1,
                                  ReuseAddr => 1) or die "no port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# wait_until(SECONDS, sub { condition }): true once the condition is.
sub wait_until {
    my ($secs, $cond) = @_;
    my $end = Time::HiRes::time() + $secs;
    while (1) {
        my $v = $cond->();
        return $v if $v;
        return 0 if Time::HiRes::time() > $end;
        Time::HiRes::sleep(0.1);
    }
}

sub ossl {
    my @cmd = ('openssl', @_);
    my $out = `@{[ map { quotemeta } @cmd ]} 2>&1`;
    die "openssl @_: $out" if $?;
}

# make_ca(DIR, NAME): a self-signed CA (P-256, fast to make).
sub make_ca {
    my ($dir, $name) = @_;
    my %c = (crt => "$dir/$name.crt", key => "$dir/$name.key");
    ossl(qw(req -x509 -new -nodes -newkey ec -pkeyopt
            ec_paramgen_curve:P-256 -days 2 -subj), "/CN=$name",
         '-addext', 'basicConstraints=critical,CA:TRUE',
         '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
         '-keyout', $c{key}, '-out', $c{crt});
    chmod 0644, $c{crt}, $c{key};
    return \%c;
}

# make_cert(DIR, NAME, CA, [HOST]): a server certificate for 127.0.0.1
# and localhost (CN and subjectAltName), or for HOST only, signed by CA.
sub make_cert {
    my ($dir, $name, $ca, $host) = @_;
    my %c = (crt => "$dir/$name.crt", key => "$dir/$name.key",
             ca => $ca->{crt});
    my $ext = "$dir/$name.ext";
    my $san = $host ? "DNS:$host" : 'IP:127.0.0.1,DNS:localhost';
    spew($ext, "subjectAltName=$san\n"
             . "basicConstraints=CA:FALSE\n"
             . "keyUsage=critical,digitalSignature\n"
             . "extendedKeyUsage=serverAuth\n");
    ossl(qw(req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256
            -subj), '/CN=' . ($host || '127.0.0.1'), '-keyout', $c{key}, '-out', "$dir/$name.csr");
    ossl(qw(x509 -req -days 2 -set_serial), int(rand(1e9)) + 1,
         '-in', "$dir/$name.csr", '-CA', $ca->{crt}, '-CAkey', $ca->{key},
         '-extfile', $ext, '-out', $c{crt});
    chmod 0644, $c{crt}, $c{key};
    return \%c;
}

# jwk(KEYFILE, kid => ..., ...): the public JWK of a PEM key file.
sub jwk {
    my ($file, %extra) = @_;
    require Crypt::PK::RSA;
    require Crypt::PK::ECC;
    my $pem = slurp($file);
    my $pk = eval { Crypt::PK::RSA->new($file) }
          || Crypt::PK::ECC->new($file);
    return { %{ $pk->export_key_jwk('public', 1) }, %extra };
}

sub jwks_json { JSON->new->canonical->encode({ keys => [@_] }) }

# ------------------------------------------------------------ servers
sub _common {
    my ($self, $mpm) = @_;
    my $d = $self->{dir};
    my @l = (
        "ServerRoot \"$d\"",
        'ServerName 127.0.0.1',
        "PidFile \"$d/httpd.pid\"",
        "DefaultRuntimeDir \"$d\"",
        "ErrorLog \"$d/error_log\"",
        'LogFormat "%h %u %t \"%r\" %>s %b %D" idp',
        "CustomLog \"$d/access_log\" idp",
        "LoadModule mpm_${mpm}_module $MODS/mod_mpm_$mpm.so",
        "LoadModule authn_core_module $MODS/mod_authn_core.so",
        "LoadModule authz_core_module $MODS/mod_authz_core.so",
        "LoadModule alias_module $MODS/mod_alias.so",
        'Timeout 30',
        'GracefulShutdownTimeout 1',
    );
    push @l, 'User nobody', 'Group nogroup' if $> == 0;
    return @l;
}

sub _new {
    my ($class, %o) = @_;
    my $self = bless { dir => tmpdir(), port => free_port(), %o }, $class;
    mkdir "$self->{dir}/htdocs";
    chmod 0755, "$self->{dir}/htdocs";
    return $self;
}

# module(conf => [LINES], loglevel => 'info', mpm => 'event'|'prefork'|
# 'worker'): the module loaded, several child processes (so the shared
# cache is really shared), the given lines appended. Not started: call
# ->start.
sub module {
    my ($class, %o) = @_;
    my $self = $class->_new(%o, scheme => 'http');
    my $mod = $ENV{AJWT_MODULE} or die 'AJWT_MODULE not set';
    my $lvl = $o{loglevel} || 'info';
    my $mpm = $o{mpm} || 'event';
    $self->{conf} = [
        $self->_common($mpm),
        "Listen 127.0.0.1:$self->{port}",
        $mpm eq 'prefork'
          ? ('StartServers 4', 'MinSpareServers 4', 'MaxSpareServers 8',
             'MaxRequestWorkers 8')
          : ('StartServers 2', 'ServerLimit 2', 'ThreadsPerChild 4',
             'MinSpareThreads 4', 'MaxSpareThreads 16',
             'MaxRequestWorkers 8'),
        "LogLevel warn auth_jwt:$lvl",
        "LoadModule auth_jwt_module $mod",
        "DocumentRoot \"$self->{dir}/htdocs\"",
        @{ $o{conf} || [] },
    ];
    $self->{nextra} = @{ $o{conf} || [] };
    return $self;
}

my $CGI = <<'CGI';
#!/usr/bin/perl
# Answers GET /NAME from STATE/NAME.{body,status,type,cc,hdr,len,sleep}.
use strict;
my $d = '@STATE@';
my $name = $ENV{PATH_INFO} || '';
$name =~ s{^/+}{};
$name =~ s{[^A-Za-z0-9._-]}{_}g;
sub rd {
    open my $f, '<', "$d/$name.$_[0]" or return undef;
    local $/; my $x = <$f>; $x =~ s/\s+\z//; return $x;
}
my $s = rd('sleep');
sleep $s if $s;
my $body = -e "$d/$name.body";
my $status = rd('status') || ($body ? 200 : 404);
binmode STDOUT;
print "Status: $status\r\n";
print 'Content-Type: ', (rd('type') || 'application/json'), "\r\n";
my $cc = rd('cc');
print "Cache-Control: $cc\r\n" if defined $cc;
my $hdr = rd('hdr');
print map { "$_\r\n" } split /\n/, $hdr if defined $hdr;
print 'Content-Length: ', -s "$d/$name.body", "\r\n"
    if $body && defined rd('len');
print "\r\n";
exit 0 unless $body;
open my $f, '<', "$d/$name.body" or exit 0;
binmode $f;
my $buf;
print $buf while read $f, $buf, 65536;
CGI

# idp(cert => {crt, key}): HTTPS on 127.0.0.1, every path answered by
# the CGI from ->set(NAME, ...). Not started: call ->start.
sub idp {
    my ($class, %o) = @_;
    my $self = $class->_new(%o, scheme => 'https');
    my $d = $self->{dir};
    mkdir "$d/state";
    chmod 0755, "$d/state";
    (my $cgi = $CGI) =~ s/\@STATE\@/$d\/state/;
    spew("$d/serve.cgi", $cgi);
    chmod 0755, "$d/serve.cgi";
    $self->{conf} = [
        $self->_common('prefork'),
        "Listen 127.0.0.1:$self->{port} https",
        'StartServers 2', 'MinSpareServers 1', 'MaxSpareServers 8',
        'MaxRequestWorkers 20',
        'LogLevel warn',
        "LoadModule ssl_module $MODS/mod_ssl.so",
        "LoadModule cgi_module $MODS/mod_cgi.so",
        "DocumentRoot \"$d/htdocs\"",
        'SSLEngine on',
        "SSLCertificateFile \"$o{cert}{crt}\"",
        "SSLCertificateKeyFile \"$o{cert}{key}\"",
        "ScriptAliasMatch \"^/(.+)\$\" \"$d/serve.cgi/\$1\"",
        @{ $o{conf} || [] },
    ];
    return $self;
}

# set(NAME, body => TEXT, status => N, type => T, cc => V, sleep => S,
#     hdr => "Name: value\n...", len => 1 (send Content-Length)):
# what GET /NAME answers from now on; an option left out is removed.
sub set {
    my ($self, $name, %o) = @_;
    # named as the CGI names PATH_INFO
    $name =~ s{^/+}{};
    $name =~ s{[^A-Za-z0-9._-]}{_}g;
    my $s = "$self->{dir}/state/$name";
    for my $k (qw(status type cc hdr len sleep body)) {
        if (defined $o{$k}) { spew("$s.$k", $o{$k}) }
        else { unlink "$s.$k" }
    }
}

sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }
sub url  { "$_[0]{scheme}://127.0.0.1:$_[0]{port}" . ($_[1] // '') }

# start(): true once the port answers; false when httpd exited instead
# (->exit_status, ->stderr tell why) or did not listen within 20 s.
sub start {
    my $self = shift;
    my $conf = "$self->{dir}/httpd.conf";
    spew($conf, join '', map { "$_\n" } @{ $self->{conf} });
    delete @$self{qw(exit_status)};
    unlink "$self->{dir}/httpd.pid";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        # httpd (prefork) signals its whole process group on shutdown: give
        # it a group of its own, or the test itself would be killed.
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/stderr";
        open STDERR, '>&', \*STDOUT;
        { exec $HTTPD, "-DFOREGROUND", "-f", $conf }
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    $live{$pid} = $self;
    # Up means the pid file is written (the MPM does it once the start-up
    # hooks, the module's first key fetch included, all succeeded) and the
    # port answers; the sockets alone are bound before those hooks run.
    my $up = wait_until(20, sub {
        return -1 if $self->_reaped;
        return 0 unless -s "$self->{dir}/httpd.pid";
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port},
                                      Proto => 'tcp', Timeout => 1);
        return $s ? 1 : 0;
    });
    return $up == 1;
}

sub _reaped {
    my $self = shift;
    return 1 unless $self->{pid};
    my $r = waitpid($self->{pid}, POSIX::WNOHANG());
    if ($r == $self->{pid}) {
        $self->{exit_status} = $? >> 8;
        delete $live{$self->{pid}};
        delete $self->{pid};
        return 1;
    }
    return 0;
}

sub running { !$_[0]->_reaped }

# graceful([LINES]): a graceful restart (SIGUSR1), with the given lines
# in place of the ones module()/idp() appended, if any; true once httpd
# says it is resuming normal operations again.
sub graceful {
    my ($self, $lines) = @_;
    return 0 unless $self->{pid};
    if ($lines) {
        my @c = @{ $self->{conf} };
        splice @c, -$self->{nextra}, $self->{nextra} if $self->{nextra};
        $self->{conf} = [@c, @$lines];
        $self->{nextra} = @$lines;
        spew("$self->{dir}/httpd.conf",
             join '', map { "$_\n" } @{ $self->{conf} });
    }
    my $mark = $self->log_mark;
    kill 'USR1', $self->{pid};
    return $self->wait_log(qr/AH00489:/, 20,
                           $mark);
}
sub exit_status { $_[0]{exit_status} }
sub stderr { slurp("$_[0]{dir}/stderr") }

# wait_exit(SECONDS): true when httpd exited by itself in time.
sub wait_exit {
    my ($self, $secs) = @_;
    return wait_until($secs, sub { $self->_reaped });
}

sub stop {
    my $self = shift;
    return unless $self->{pid};
    kill 'TERM', $self->{pid};
    unless (wait_until(10, sub { $self->_reaped })) {
        kill 'KILL', $self->{pid};
        wait_until(5, sub { $self->_reaped });
    }
    # the children leave with the parent; make sure the port is free
    wait_until(5, sub {
        !IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                               PeerPort => $self->{port}, Proto => 'tcp')
    });
}

sub DESTROY { local ($., $@, $!, $^E, $?); $_[0]->stop }
END { local $?; $_->stop for values %live }

# -------------------------------------------------------------- logs
sub error_log  { slurp("$_[0]{dir}/error_log") }
sub access_log { slurp("$_[0]{dir}/access_log") }
sub log_mark    { -s "$_[0]{dir}/error_log" || 0 }
sub access_mark { -s "$_[0]{dir}/access_log" || 0 }
sub _since {
    my ($f, $mark) = @_;
    open my $fh, '<', $f or return '';
    seek $fh, $mark || 0, 0;
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}
sub log_since    { _since("$_[0]{dir}/error_log", $_[1]) }
sub access_since { _since("$_[0]{dir}/access_log", $_[1]) }

# hits(PATH, MARK): requests for PATH in the access log since MARK.
sub hits {
    my ($self, $path, $mark) = @_;
    # httpd logs a request once its answer has left: the module may have
    # used the answer before the line is written
    Time::HiRes::sleep(0.15);
    my @n = $self->access_since($mark) =~ /"GET \Q$path\E[ ?]/g;
    return scalar @n;
}

# wait_log(RE, SECONDS, MARK): true once the error log shows RE.
sub wait_log {
    my ($self, $re, $secs, $mark) = @_;
    return wait_until($secs, sub { $self->log_since($mark) =~ $re });
}

# ------------------------------------------------------------ requests
my $ua;
sub ua {
    $ua ||= LWP::UserAgent->new(max_redirect => 0, timeout => 30,
                                keep_alive => 0, env_proxy => 0);
    return $ua;
}

# get(PATH, TOKEN?, HEADERS...): an HTTP::Response from this server.
sub get {
    my ($self, $path, $token, @h) = @_;
    push @h, Authorization => "Bearer $token" if defined $token;
    return ua()->get($self->url($path), @h);
}

# Write a file under the document root (directories made as needed).
sub doc {
    my ($self, $path, $body) = @_;
    my $f = "$self->{dir}/htdocs/$path";
    my $dir = '';
    my @parts = split m{/}, $path;
    pop @parts;
    for my $p (@parts) {
        next unless length $p;
        $dir .= "/$p";
        mkdir "$self->{dir}/htdocs$dir";
        chmod 0755, "$self->{dir}/htdocs$dir";
    }
    spew($f, defined $body ? $body : "ok\n");
}

1;
