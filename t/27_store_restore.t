# SPDX-License-Identifier: Apache-2.0
# A memcached that comes back empty never lets a revoked token through:
# two memcached servers, two httpd sharing them and a state directory
# (each writes its own journal there). Revocations made through A live on
# both memcached servers; then one memcached restarts, the other is
# flushed, then both restart: on A and on B every revoked token is refused
# (401, or 503 while the store is being refilled; 200 never), and once
# refilled, 401 again, without restarting httpd.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance;
use AuthJWT::Test qw(mint);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

plan skip_all => 'no memcached' unless AuthJWT::Instance::memcached_bin();

my $aux = tempdir('ajwt-restore-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my $secret = 'r' x 40;
open my $fh, '>', "$aux/hs.secret" or die $!;
print $fh $secret;
close $fh;
chmod 0644, "$aux/hs.secret";

my @m = (AuthJWT::Instance->memcached, AuthJWT::Instance->memcached);
my $servers = join ',', map { $_->server } @m;
my $conf = <<"C";
AuthJWTRevocationStore memcached:$servers
AuthJWTStateDir $aux/state
AuthJWTSecret file:$aux/hs.secret
<Location "/p">
    AuthType jwt
    AuthName restore
    Require valid-jwt
</Location>
<Location "/revoke">
    SetHandler jwt-revoke
</Location>
C
my $A = AuthJWT::Instance->new(name => 'restore-a', children => 2,
                               conf => $conf);
my $B = AuthJWT::Instance->new(name => 'restore-b', children => 2,
                               conf => $conf);
$A->start;
$B->start;

# sub u, iat now, exp in 600 s (mint's defaults), this file's secret
sub tok {
    mint(alg => 'HS256', key => "raw:$secret",
         claims => { sub => 'u', @_ });
}
my @revoked = map { tok(jti => "r-$_") } 1 .. 24;
push @revoked, tok(sub => 'sam', jti => 's-1');
my $good = tok(jti => 'good-1');

for my $i (0 .. 23) {
    $A->post_form('/revoke', [token => $revoked[$i]])->code == 200
        or BAIL_OUT("revocation $i failed");
}
is($A->post_form('/revoke', [sub => 'sam'])->code, 200, 'sub sam revoked');
my @items = map { $_->items } @m;
ok($items[0] > 1 && $items[1] > 1, "revocations live on both memcached "
                                   . "servers (@items items)");

# codes(H): the answers of H to every revoked token
sub codes {
    my $h = shift;
    my %n;
    $n{ $h->get('/p', token => $_)->code }++ for @revoked;
    return \%n;
}
sub never_200 {
    my ($what) = @_;
    for my $h ($A, $B) {
        my $c = codes($h);
        ok(!$c->{200}, "$what: $h->{name} lets no revoked token through ("
                       . join(', ', map { "$_ x$c->{$_}" } sort keys %$c)
                       . ')');
    }
}
sub all_401 {
    my ($what) = @_;
    my $end = time + 10;
    my ($ca, $cb);
    while (time < $end) {
        ($ca, $cb) = (codes($A), codes($B));
        last if ($ca->{401} // 0) == @revoked && ($cb->{401} // 0) == @revoked;
        sleep 0.3;
    }
    is($ca->{401} // 0, scalar @revoked, "$what: A refuses all as revoked");
    is($cb->{401} // 0, scalar @revoked, "$what: B refuses all as revoked");
    is($B->get('/p', token => $good)->code, 200, "$what: a good token: 200");
}
all_401('before');

sub flush {
    my $m = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $m->port) or die $!;
    print $s "flush_all\r\n";
    my $l = <$s>;
    close $s;
    return $l =~ /^OK/;
}

my $mark_a = $A->log_mark;
$m[0]->stop;
$m[0]->start;
is($m[0]->items, 0, 'memcached 1 restarted: empty');
never_200('memcached 1 restarted');
all_401('memcached 1 restarted, refilled');
ok($m[0]->items >= $items[0], 'memcached 1 holds its entries again ('
                              . $m[0]->items . ')');

ok(flush($m[1]), 'memcached 2: flush_all');
never_200('memcached 2 flushed');
all_401('memcached 2 flushed, refilled');

$m[0]->stop;
$m[1]->stop;
$m[0]->start;
$m[1]->start;
never_200('both restarted');
all_401('both restarted, refilled');
like($A->log_since($mark_a) . $B->log_since(0),
     qr/AH700\d\d: .*memcached.*(empty|restored)/i,
     'the refill is logged');

# --- a revocation made with the ajwt-revoke tool, journaled beside theirs
my $tool = AuthJWT::Instance::revoke_tool();
SKIP: {
    skip 'ajwt-revoke not built', 4 unless $tool && -x $tool;
    my $cli = tok(jti => 'cli-1');
    my $exp = int(time) + 600;
    my $out = `$tool --servers memcached:$servers --jti cli-1 --exp $exp --state-dir $aux/state 2>&1`;
    is($? >> 8, 0, 'ajwt-revoke --state-dir: exit 0') or diag($out);
    ok(glob("$aux/state/ajwt-revoke-*.journal"), '... its journal file');
    $_->stop for @m;
    $_->start for @m;
    my %n;
    $n{ $A->get('/p', token => $cli)->code }++ for 1 .. 3;
    ok(!$n{200}, 'both memcached restarted: the tool\'s revocation is '
                 . 'never let through');
    is($B->code_within(10, 401, '/p', token => $cli), 401,
       '... refilled from the tool\'s journal: 401 on B');
}

$A->stop;
$B->stop;
$_->stop for @m;
done_testing();
