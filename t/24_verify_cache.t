# SPDX-License-Identifier: Apache-2.0
# The verified-token cache (AuthJWTVerifyCache, default on) never changes
# an answer: a cached token still expires on time, still obeys nbf and
# revocation, and is only trusted under the keys and settings of the
# location that asks. Each check runs on a private httpd with ONE process
# (event, 4 threads: the cache is per process, shared by its threads), once
# with the cache on (default) and once with `AuthJWTVerifyCache 0`.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id);
use AuthJWT::Instance qw(jwt_location);
use Time::HiRes qw(sleep);

my $locs = "AuthJWTRevocationStore shm\n"
    . jwt_location('/p', 'AuthJWTLeeway 0', 'Require valid-jwt')
    . jwt_location('/q', { secret => 'hs32' }, 'AuthJWTLeeway 0',
                   'Require valid-jwt')
    . jwt_location('/a', 'AuthJWTIssuer https://other.example',
                   'Require valid-jwt')
    . jwt_location('/revoke', 'SetHandler jwt-revoke',
                   'Require jwt-role admin');

my %h = (
    on  => AuthJWT::Instance->new(mpm => 'event', procs => 1, threads => 4,
                                  conf => $locs, name => 'cache-on'),
    off => AuthJWT::Instance->new(mpm => 'event', procs => 1, threads => 4,
                                  conf => "AuthJWTVerifyCache 0\n$locs",
                                  name => 'cache-off'),
);
$_->start for values %h;
my @modes = ('on', 'off');

my $run = run_id();      # tok(): sub u-$run, jti j-$run-N
my $admin = tok(sub => "admin-$run", roles => ['admin']);
sub codes {
    my ($h, $path, $t, $k) = @_;
    return join ' ', map { $h->get($path, token => $t)->code } 1 .. $k;
}

# --- time: exp and nbf on a cached token ---------------------------------
my $t0 = time;
my (%exp_tok, %nbf_tok, %mark);
for my $m (@modes) {
    my $h = $h{$m};
    $exp_tok{$m} = tok(iat => $t0, exp => $t0 + 3);
    $nbf_tok{$m} = tok(iat => $t0, nbf => $t0 + 2, exp => $t0 + 600);
    $mark{$m} = $h->log_mark;
    is(codes($h, '/p', $exp_tok{$m}, 3), '200 200 200',
       "cache $m: token with exp = now+3 accepted 3 times");
    is(codes($h, '/p', $nbf_tok{$m}, 2), '401 401',
       "cache $m: token with nbf = now+2 refused twice");
}
sleep 0.05 while time < $t0 + 2;
for my $m (@modes) {
    my $h = $h{$m};
    like($h->log_since($mark{$m}), qr/AH70011: token refused/,
         "cache $m: nbf refusal logged (AH70011)");
    is(codes($h, '/p', $nbf_tok{$m}, 2), '200 200',
       "cache $m: accepted once nbf has come");
    is(codes($h, '/p', $exp_tok{$m}, 1), '200',
       "cache $m: exp token still accepted before exp");
}
sleep 0.05 while time < $t0 + 3;   # now >= exp: expired (leeway 0)
for my $m (@modes) {
    my $h = $h{$m};
    my $mark = $h->log_mark;
    my $r = $h->get('/p', token => $exp_tok{$m});
    is($r->code, 401, "cache $m: refused at exp (leeway 0)");
    is(scalar $r->header('WWW-Authenticate'), www_invalid('ajwt'),
       "cache $m: invalid_token");
    like($h->log_since($mark), qr/AH70010: token refused \(\w+\): /,
         "cache $m: expiry logged (AH70010)");
    is(codes($h, '/p', $exp_tok{$m}, 3), '401 401 401',
       "cache $m: and refused again");
}

# --- revocation of a cached token ----------------------------------------
for my $m (@modes) {
    my $h = $h{$m};
    my $t = tok();
    is(codes($h, '/p', $t, 3), '200 200 200', "cache $m: accepted 3 times");
    my $r = $h->post_form('/revoke', [token => $t], token => $admin);
    is($r->code, 200, "cache $m: revoked");
    my $mark = $h->log_mark;
    is(codes($h, '/p', $t, 3), '401 401 401',
       "cache $m: refused at once, every time");
    like($h->log_since($mark), qr/AH70016: token refused/,
         "cache $m: AH70016");
    my $s = tok(sub => "carol-$run-$m");
    is(codes($h, '/p', $s, 2), '200 200', "cache $m: sub victim accepted");
    is($h->post_json('/revoke', { sub => "carol-$run-$m" }, token => $admin)
       ->code, 200, "cache $m: sub revoked");
    is(codes($h, '/p', $s, 2), '401 401', "cache $m: refused");
}

# --- the same token under locations with other keys or settings ---------
for my $m (@modes) {
    my $h = $h{$m};
    my $t64 = tok(key => 'hs64');
    my $t32 = tok(key => 'hs32');
    my $mark = $h->log_mark;
    is(codes($h, '/q', $t64, 1), '401', "cache $m: hs64 token at /q "
       . '(hs32 key) refused before it was ever accepted');
    is(codes($h, '/p', $t64, 2), '200 200',
       "cache $m: hs64 token accepted at /p (now cached)");
    is(codes($h, '/q', $t64, 3), '401 401 401',
       "cache $m: still refused at /q after being cached by /p");
    is(codes($h, '/p', $t64, 1), '200', "cache $m: and still fine at /p");
    like($h->log_since($mark), qr/AH7000[78]: token refused/,
         "cache $m: /q refusals logged as key/signature (AH70007/8)");

    is(codes($h, '/q', $t32, 2), '200 200',
       "cache $m: hs32 token accepted at /q");
    is(codes($h, '/p', $t32, 2), '401 401',
       "cache $m: hs32 token refused at /p after being cached by /q");

    # same key, other claim checks: the issuer of /a
    $mark = $h->log_mark;
    is(codes($h, '/a', $t64, 2), '401 401',
       "cache $m: cached token refused where the issuer does not fit");
    like($h->log_since($mark), qr/AH70013: token refused/,
         "cache $m: AH70013");
    my $ti = tok(iss => 'https://other.example');
    is(codes($h, '/a', $ti, 2) . ' ' . codes($h, '/p', $ti, 1),
       '200 200 200', "cache $m: a token with that issuer passes both");
}

# --- sanity: every request above went to one process ---------------------
for my $m (@modes) {
    my %pids = map { (split / /)[0] => 1 }
               split /\n/, $h{$m}->access_since(0);
    is(scalar keys %pids, 1, "cache $m: one process answered everything");
    unlike($h{$m}->log_since(0), qr/AH00052|Segmentation fault|exit signal|
                                    AH70031/x,
           "cache $m: no crash, cache not turned off by an error");
}
$_->stop for values %h;

# --- the directive is server-wide only -----------------------------------
{
    my $x = AuthJWT::Instance->new(conf => <<'C', name => 'cache-conf');
<Location /p>
    AuthJWTVerifyCache 10
</Location>
C
    my ($rc, $out) = $x->configtest;
    isnt($rc, 0, 'AuthJWTVerifyCache inside <Location>: httpd -t fails');
    like($out, qr/AuthJWTVerifyCache/, 'naming the directive');
    $x = AuthJWT::Instance->new(conf => "AuthJWTVerifyCache -1\n",
                                name => 'cache-conf2');
    ($rc, $out) = $x->configtest;
    isnt($rc, 0, 'AuthJWTVerifyCache -1: httpd -t fails');
    like($out, qr/AuthJWTVerifyCache: '-1' is not a whole number/,
         'with the reason');
}

done_testing;
