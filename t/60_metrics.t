# SPDX-License-Identifier: Apache-2.0
# Metrics (SetHandler jwt-metrics, mod_status): a known mix of requests on
# a private httpd, prefork with 4 children and event with 2 processes of
# 4 threads, and every counter equals exactly what was sent, read through
# both outputs: the Prometheus text (parsed by an independent parser,
# python3-prometheus-client) and server-status?auto. A token is counted
# once per request: the 401 of a Require jwt-role denial goes to an
# ErrorDocument under another <Location> (Require valid-jwt), which takes
# the first request's result (r->prev) and counts nothing more. The
# counts survive a graceful restart.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id);
use AuthJWT::Instance qw(jwt_location);

my $py = '/usr/bin/python3';
plan skip_all => 'python3-prometheus-client missing (dev/setup)'
    unless system($py, '-c', 'import prometheus_client.parser') == 0;

my $mods = AuthJWT::Instance::modules_dir();
my $conf = "LoadModule status_module $mods/mod_status.so\n"
    . "LoadModule authz_host_module $mods/mod_authz_host.so\n"
    . "AuthJWTRevocationStore shm\n"
    . jwt_location('/p', 'Require valid-jwt')
    . jwt_location('/admin', 'Require jwt-role admin', 'ErrorDocument 401 /p')
    . jwt_location('/c', 'AuthJWTCookie jwt', 'Require valid-jwt')
    . "<Location /metrics>\n    SetHandler jwt-metrics\n"
    . "    Require ip 127.0.0.1\n</Location>\n"
    . "<Location /server-status>\n    SetHandler server-status\n"
    . "    Require ip 127.0.0.1\n</Location>\n";

use File::Temp ();

sub parse_with_python {
    my $text = shift;
    my $in = File::Temp->new(SUFFIX => '.prom');
    print $in $text;
    close $in;
    my $script = <<'PY';
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert fam.type in ('counter', 'histogram'), fam.name
    for s in fam.samples:
        lab = ','.join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        print('%s%s %r' % (s.name, '{%s}' % lab if lab else '', s.value))
PY
    open my $ph, '-|', $py, '-c', $script, "$in" or die "python: $!";
    my %m;
    while (<$ph>) {
        chomp;
        if (/^(\S+) (\d+(?:\.\d+)?)$/) { $m{$1} = $2 + 0 }
        else { $m{'bad line'} = $_ }
    }
    close $ph;
    $m{'parser failed'} = $? if $?;
    return \%m;
}

# server-status?auto -> { 'AuthJWT_...' => value }
sub parse_status {
    my $text = shift;
    return { map { /^(AuthJWT_\w+): (\d+)$/ ? ($1 => $2) : () }
             split /\n/, $text };
}

my $run = run_id();
my $now = time;
sub bad_sig {          # a good header and payload, another token's signature
    my ($h, $p) = split /\./, tok();
    my $s = (split /\./, tok(sub => 'other'))[2];
    return "$h.$p.$s";
}

# what the mix sends: name => [count, path, token-or-undef, expected code]
my @mix = (
    [7, '/p', sub { tok() }, 200],                         # valid
    [3, '/p', sub { undef }, 401],                         # missing
    [2, '/p', sub { tok(iat => $now - 1200, exp => $now - 600) }, 401],
    [2, '/p', \&bad_sig, 401],                             # bad signature
    [1, '/p', sub { 'not-a-jwt' }, 401],                   # malformed
    [2, '/admin', sub { tok(roles => ['user']) }, 401],    # jwt-role denied
);
my %want = (
    'mod_auth_jwt_tokens_total{reason="ok"}'            => 9,
    'mod_auth_jwt_tokens_total{reason="missing"}'       => 3,
    'mod_auth_jwt_tokens_total{reason="expired"}'       => 2,
    'mod_auth_jwt_tokens_total{reason="bad_signature"}' => 2,
    'mod_auth_jwt_tokens_total{reason="malformed"}'     => 1,
    'mod_auth_jwt_authz_denied_total{word="jwt-role"}'  => 2,
    # every token is new: a miss each (all but the missing ones)
    'mod_auth_jwt_verify_cache_total{result="miss"}'    => 14,
    'mod_auth_jwt_revocation_lookups_total{result="not_revoked"}' => 9,
    # a cookie token on a POST without Origin: 403, not a token outcome
    'mod_auth_jwt_cross_site_refused_total'             => 2,
);
my %status_name = (
    'mod_auth_jwt_tokens_total{reason="ok"}'            => 'tokens_ok',
    'mod_auth_jwt_tokens_total{reason="missing"}'       => 'tokens_missing',
    'mod_auth_jwt_tokens_total{reason="expired"}'       => 'tokens_expired',
    'mod_auth_jwt_tokens_total{reason="bad_signature"}' =>
        'tokens_bad_signature',
    'mod_auth_jwt_tokens_total{reason="malformed"}'     => 'tokens_malformed',
    'mod_auth_jwt_authz_denied_total{word="jwt-role"}'  =>
        'authz_denied_jwt_role',
    'mod_auth_jwt_verify_cache_total{result="miss"}'    => 'verify_cache_miss',
    'mod_auth_jwt_revocation_lookups_total{result="not_revoked"}' =>
        'revocation_lookups_not_revoked',
    'mod_auth_jwt_cross_site_refused_total' => 'cross_site_refused',
);

# the verification-time histogram: how many were timed (only its counts
# are known; the times are whatever they were)
sub check_histogram {
    my ($m, $s, $what, $n) = @_;
    my %fam = (hmac => $n, rsa => 0, ec => 0, eddsa => 0, cached => 0);
    for my $f (sort keys %fam) {
        is($m->{qq{mod_auth_jwt_verify_seconds_count{alg="$f"}}}, $fam{$f},
           "$what: verify_seconds_count alg=$f");
        is($m->{qq{mod_auth_jwt_verify_seconds_bucket{alg="$f",le="+Inf"}}},
           $fam{$f}, "$what: +Inf bucket alg=$f");
        is($s->{"AuthJWT_verify_${f}_count"}, $fam{$f},
           "$what: server-status?auto AuthJWT_verify_${f}_count");
        my %le = map { /le="([^"]+)"/ ? ($_ => $1 eq '+Inf' ? 9e9 : $1) : () }
                 grep { /^mod_auth_jwt_verify_seconds_bucket\{alg="$f",/ }
                 keys %$m;
        my @b = map { $m->{$_} } sort { $le{$a} <=> $le{$b} } keys %le;
        is(scalar @b, 13, "$what: 13 buckets alg=$f");
        ok(!grep({ $b[$_] < $b[$_ - 1] } 1 .. $#b),
           "$what: buckets cumulative alg=$f");
    }
    ok($m->{'mod_auth_jwt_verify_seconds_sum{alg="hmac"}'} > 0,
       "$what: some time was spent verifying");
    diag sprintf '%-8s %-62s expected %3d  prometheus %3s  status %3s',
        $what, 'mod_auth_jwt_verify_seconds_count{alg="hmac"}', $n,
        $m->{'mod_auth_jwt_verify_seconds_count{alg="hmac"}'} // '-',
        $s->{AuthJWT_verify_hmac_count} // '-';
    delete @$m{grep { /^mod_auth_jwt_verify_seconds/ } keys %$m};
    delete @$s{grep { /^AuthJWT_verify_[a-z]+_(count|sum_us)$/ } keys %$s};
}

sub check_counts {
    my ($h, $what, $want, $timed) = @_;
    my $r = $h->get('/metrics');
    is($r->code, 200, "$what: /metrics answers");
    is(scalar $r->header('Content-Type'),
       'text/plain; version=0.0.4; charset=utf-8', "$what: 0.0.4 type");
    my $m = parse_with_python($r->decoded_content);
    my $s = parse_status($h->get('/server-status?auto')->decoded_content);
    ok(!exists $m->{'bad line'} && !exists $m->{'parser failed'},
       "$what: the parser read it all") or diag explain $m;
    check_histogram($m, $s, $what, $timed);
    my ($nonzero_p, $nonzero_s) = (0, 0);
    for my $k (sort keys %$m) {
        my $w = $want->{$k} // 0;
        $nonzero_p++ if $m->{$k};
        is($m->{$k}, $w, "$what: $k") if $w || $m->{$k};
    }
    for my $k (sort keys %$want) {
        ok(exists $m->{$k}, "$what: $k present");
        is($s->{"AuthJWT_$status_name{$k}"}, $want->{$k},
           "$what: server-status?auto AuthJWT_$status_name{$k}");
        diag sprintf '%-8s %-62s expected %3d  prometheus %3s  status %3s',
            $what, $k, $want->{$k}, $m->{$k} // '-',
            $s->{"AuthJWT_$status_name{$k}"} // '-';
    }
    is(scalar(grep { $_ } values %$s), scalar(grep { $_ } values %$m),
       "$what: as many non-zero counters in both outputs");
    is(scalar keys %$s, scalar keys %$m, "$what: the same counters in both");
}

for my $mpm (['prefork', children => 4], ['event', procs => 2, threads => 4]) {
    my ($name, %o) = @$mpm;
    my $h = AuthJWT::Instance->new(mpm => $name, %o, conf => $conf,
                                   name => "metrics-$name");
    $h->start;
    my $html = $h->get('/server-status')->decoded_content;
    like($html, qr{<h2>mod_auth_jwt</h2>.*mod_auth_jwt_tokens_total}s,
         "$name: the server-status page has a mod_auth_jwt table");
    for my $m (@mix) {
        my ($n, $path, $mk, $code) = @$m;
        my @codes = map { my $t = $mk->();
                          $h->get($path, defined $t ? (token => $t) : ())
                            ->code } 1 .. $n;
        is("@codes", join(' ', ($code) x $n), "$name: $n x $path -> $code");
    }
    my @cs = map { $h->request(POST => '/c', cookie => 'jwt=' . tok(),
                               body => 'x=1')->code } 1 .. 2;
    is("@cs", '403 403', "$name: 2 x cross-site cookie POST -> 403");
    my %pids = map { (split / /)[0] => 1 } split /\n/, $h->access_since(0);
    diag "$name: " . scalar(keys %pids) . ' processes answered';
    # timed: every token parsed (all but the missing and malformed ones)
    check_counts($h, $name, \%want, 13);

    $h->graceful;
    check_counts($h, "$name after graceful", \%want, 13);
    is($h->get('/p', token => tok())->code, 200, "$name: one more");
    check_counts($h, "$name after graceful +1", {
        %want,
        'mod_auth_jwt_tokens_total{reason="ok"}' => 10,
        'mod_auth_jwt_verify_cache_total{result="miss"}' => 15,
        'mod_auth_jwt_revocation_lookups_total{result="not_revoked"}' => 10,
    }, 14);
    unlike($h->log_since(0), qr/AH0005[23]|Segmentation fault|AH7008[01]/,
           "$name: no crash, metrics not off");
    $h->stop;
}

done_testing;
