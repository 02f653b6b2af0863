# SPDX-License-Identifier: Apache-2.0
package AuthJWT::Faults;
# Fault injection and load for the t/4x tests, on loopback only:
#
#   my $p = AuthJWT::Faults->proxy(to => $memcached_port);
#   $p->port;                  # where the module connects instead
#   $p->mode('delay:1000');    # replies held back 1 s
#   $p->mode('blackhole');     # bytes swallowed both ways, nothing answers
#   $p->mode('reset');         # every connection closed at once
#   $p->mode('pass');  $p->stop;
#
#   my $w = AuthJWT::Faults->wrk(url => $u, token => $t, secs => 6);
#   ... faults while it runs ...
#   my $res = $w->wait;  # or ->wait(interrupt => 1); {requests, codes => {200 => n}, non2xx,
#                        #  errors => {connect, read, write, timeout},
#                        #  max_ms, output}
#
#   my @r = AuthJWT::Faults::probe($port, '/p', $token, secs => 2);
#   # [status, milliseconds] per request, one at a time, each bounded
#
# The proxy is a forked child of the test (accept loop) that forks one
# handler per connection, so a held-back reply delays only its own
# connection, as a slow memcached would. The mode lives in a file that
# every handler reads on each event, so a change applies to connections
# already open (libmemcached keeps its connections). Everything is
# stopped by PID: stop(), or the END block of this file; handlers leave
# by themselves when their parent is gone, and the proxy after at most
# 10 minutes whatever happens.
use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(sleep time);

my %live;

sub slurp {
    my $f = shift;
    open my $fh, '<', $f or return '';
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}

sub spew {
    my ($f, $d) = @_;
    my $tmp = "$f.tmp$$";
    open my $fh, '>', $tmp or croak "$tmp: $!";
    print $fh $d;
    close $fh or croak "$tmp: $!";
    rename $tmp, $f or croak "rename $tmp: $!";    # atomic for readers
}

# ---------------------------------------------------------------------
# The proxy

sub proxy {
    my ($class, %o) = @_;
    my $to = $o{to} or croak 'proxy: to => PORT';
    my $dir = tempdir('ajwt-proxy-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $self = bless { to => $to, dir => $dir,
                       modefile => "$dir/mode" }, $class;
    spew($self->{modefile}, $o{mode} || 'pass');
    my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                   LocalPort => $o{port} || 0,
                                   Proto => 'tcp', Listen => 64,
                                   ReuseAddr => 1)
        or croak "proxy: listen: $!";
    $self->{port} = $ls->sockport;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        $SIG{TERM} = 'DEFAULT';
        eval { accept_loop($self, $ls) };
        _exit(0);
    }
    close $ls;
    $self->{pid} = $pid;
    $live{"$self"} = $self;
    return $self;
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }

sub mode {
    my ($self, $m) = @_;
    croak "proxy: unknown mode $m"
        unless $m =~ /^(?:pass|delay:\d+|blackhole|reset)$/;
    spew($self->{modefile}, $m);
    # handlers blocked in select() notice within their 50 ms tick
    sleep 0.1;
}

sub stop {
    my $self = shift;
    delete $live{"$self"};
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    for (1 .. 100) {
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}

# In the proxy child: accept, fork a handler, reap. On TERM the handlers
# are sent TERM by PID before the proxy leaves.
sub accept_loop {
    my ($self, $ls) = @_;
    my %kids;
    my $stop = 0;
    local $SIG{TERM} = sub { $stop = 1 };
    my $deadline = time + 600;
    my $sel = IO::Select->new($ls);
    while (!$stop && time < $deadline) {
        while ((my $k = waitpid(-1, WNOHANG)) > 0) {
            delete $kids{$k};
        }
        next unless $sel->can_read(0.1);
        my $c = $ls->accept or next;
        my $pid = fork;
        if (!defined $pid) {
            close $c;
            next;
        }
        if (!$pid) {
            close $ls;
            $SIG{TERM} = 'DEFAULT';
            eval { handle($self, $c) };
            _exit(0);
        }
        $kids{$pid} = 1;
        close $c;
    }
    kill 'TERM', keys %kids if %kids;
    for (1 .. 50) {
        while ((my $k = waitpid(-1, WNOHANG)) > 0) {
            delete $kids{$k};
        }
        last unless %kids;
        sleep 0.02;
    }
    kill 'KILL', keys %kids if %kids;
}

sub handle {
    my ($self, $c) = @_;
    my $parent = getppid;
    my $mode = sub { slurp($self->{modefile}) || 'pass' };
    return if $mode->() eq 'reset';
    my $u = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{to}, Proto => 'tcp',
                                  Timeout => 2);
    return unless $u;       # upstream down: the client sees EOF
    my $sel = IO::Select->new($c, $u);
    my $deadline = time + 600;
    while (time < $deadline && getppid == $parent) {
        my @r = $sel->can_read(0.05);
        my $m = $mode->();
        return if $m eq 'reset';
        for my $s (@r) {
            my $buf;
            my $n = sysread($s, $buf, 65536);
            return unless $n;           # EOF or error: close both
            next if $m eq 'blackhole';
            if ($s == $u) {
                sleep $1 / 1000 if $m =~ /^delay:(\d+)$/;
                syswrite_all($c, $buf) or return;
            }
            else {
                syswrite_all($u, $buf) or return;
            }
        }
    }
}

sub syswrite_all {
    my ($s, $buf) = @_;
    while (length $buf) {
        my $n = syswrite($s, $buf);
        return 0 unless $n;
        substr($buf, 0, $n) = '';
    }
    return 1;
}

# ---------------------------------------------------------------------
# Load: wrk in the background

my $lua = <<'LUA';
-- counts every status per thread; done() adds them up
local threads = {}
function setup(thread)
    table.insert(threads, thread)
end
function init(args)
    codes = {}
end
function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
end
function done(summary, latency, requests)
    local all = {}
    for _, t in ipairs(threads) do
        for k, v in pairs(t:get("codes")) do
            all[k] = (all[k] or 0) + v
        end
    end
    for k, v in pairs(all) do
        io.write(string.format("AJWT status %d %d\n", k, v))
    end
    io.write(string.format("AJWT requests %d\n", summary.requests))
    io.write(string.format("AJWT errors %d %d %d %d %d\n",
        summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.status, summary.errors.timeout))
    io.write(string.format("AJWT maxlat_us %d\n", latency.max))
end
LUA

sub wrk_bin {
    for my $b ($ENV{AJWT_WRK} || (), '/usr/bin/wrk', '/usr/local/bin/wrk') {
        return $b if -x $b;
    }
    return;
}

# wrk(url => URL, token => T, secs => 6, conns => 8, threads => 2,
#     close => 1): a new connection per request unless close => 0.
sub wrk {
    my ($class, %o) = @_;
    my $bin = wrk_bin() or croak 'wrk is not installed';
    my $dir = tempdir('ajwt-wrk-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    spew("$dir/count.lua", $lua);
    my @cmd = ($bin, '-t', $o{threads} || 2, '-c', $o{conns} || 8,
               '-d', ($o{secs} || 6) . 's', '--timeout', '5s',
               '-s', "$dir/count.lua");
    push @cmd, '-H', "Authorization: Bearer $o{token}" if defined $o{token};
    push @cmd, '-H', 'Connection: close' if !defined $o{close} || $o{close};
    push @cmd, $o{url};
    my $self = bless { dir => $dir, out => "$dir/out",
                       secs => $o{secs} || 6 }, $class . '::Wrk';
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $self->{out};
        open STDERR, '>&', \*STDOUT;
        exec @cmd or _exit(127);
    }
    $self->{pid} = $pid;
    $self->{started} = time;
    $live{"$self"} = $self;
    return $self;
}

package AuthJWT::Faults::Wrk;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

# Wait for wrk (its duration plus 15 s at most), then parse its output.
# wait(interrupt => 1): end it now with SIGINT, on which wrk stops and
# reports as at the end of its duration.
sub wait {
    my ($self, %o) = @_;
    kill 'INT', $self->{pid} if $o{interrupt} && $self->{pid};
    my $end = $self->{started} + $self->{secs} + 15;
    my $rc;
    while (time < $end) {
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            $rc = $? >> 8;
            last;
        }
        sleep 0.05;
    }
    if (!defined $rc) {
        $self->stop;
        $rc = 'killed';
    }
    delete $live{"$self"};
    my $out = AuthJWT::Faults::slurp($self->{out});
    my %r = (rc => $rc, output => $out, codes => {}, requests => 0,
             non2xx => 0, max_ms => 0,
             errors => { connect => 0, read => 0, write => 0,
                         timeout => 0 });
    while ($out =~ /^AJWT status (\d+) (\d+)$/mg) {
        $r{codes}{$1} = $2;
    }
    $r{requests} = $1 if $out =~ /^AJWT requests (\d+)$/m;
    if ($out =~ /^AJWT errors (\d+) (\d+) (\d+) (\d+) (\d+)$/m) {
        @{ $r{errors} }{qw(connect read write timeout)} = ($1, $2, $3, $5);
    }
    $r{max_ms} = $1 / 1000 if $out =~ /^AJWT maxlat_us (\d+)$/m;
    # wrk's own line, as a cross-check of the script's count
    $r{non2xx} = $out =~ /Non-2xx or 3xx responses: (\d+)/ ? $1 : 0;
    $r{socket_errors} = 0;
    $r{socket_errors} += $_ for values %{ $r{errors} };
    my $sum = 0;
    $sum += $_ for values %{ $r{codes} };
    $r{answered} = $sum;
    return \%r;
}

sub stop {
    my $self = shift;
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    for (1 .. 100) {
        return if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

package AuthJWT::Faults;

# ---------------------------------------------------------------------
# probe($port, $path, $token, secs => S, max => N): one request at a
# time on a new connection for S seconds (at most N requests, default
# 200); each request is bounded by a 10 s read timeout, so a hang shows
# as a latency of 10000 ms and status 0 rather than a stuck test.
sub probe {
    my ($port, $path, $token, %o) = @_;
    my $end = time + ($o{secs} || 2);
    my $max = $o{max} || 200;
    my @res;
    while (time < $end && @res < $max) {
        push @res, [ one_request($port, $path, $token) ];
        sleep($o{gap} || 0.02);
    }
    return @res;
}

# (status, milliseconds, headers text) of one GET on a new connection.
sub one_request {
    my ($port, $path, $token) = @_;
    my $t0 = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 10);
    return (0, (time - $t0) * 1000, '') unless $s;
    my $auth = defined $token ? "Authorization: Bearer $token\r\n" : '';
    syswrite_all($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n$auth"
                     . "Connection: close\r\n\r\n");
    my $sel = IO::Select->new($s);
    my $resp = '';
    my $limit = $t0 + 10;
    while (time < $limit) {
        last unless $sel->can_read($limit - time);
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $resp .= $buf;
    }
    close $s;
    my $ms = (time - $t0) * 1000;
    my ($head) = split /\r\n\r\n/, $resp, 2;
    $head = '' unless defined $head;
    return ($head =~ m{^HTTP/1\.\d (\d{3})} ? $1 + 0 : 0, $ms, $head);
}

# Summaries of probe results.
sub max_ms {
    my $m = 0;
    for (@_) { $m = $_->[1] if $_->[1] > $m }
    return $m;
}

sub codes_of {
    my %c;
    $c{ $_->[0] }++ for @_;
    return join ' ', map { "$_ x$c{$_}" } sort keys %c;
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

1;
