# SPDX-License-Identifier: Apache-2.0
# DPoP (RFC 9449) at a resource: tokens bound by cnf.jkt (minted by
# Crypt::JWT) presented as "Authorization: DPoP" with proofs made by
# python3-jwcrypto (t/lib/dpop_proof.py) and the npm jose package
# (t/lib/dpop_proof.mjs), never by our code: a good proof, then each check
# failing alone, replay across prefork children, AuthJWTDPoP Required,
# server nonces (AuthJWTDPoPNonce) and the DPoP challenges.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok mint);
use AuthJWT::Instance qw(jwt_location spew);
use File::Temp qw(tempdir);

my $py = '/usr/bin/python3';
plan skip_all => 'python3-jwcrypto missing (dev/setup)'
    unless system($py, '-c', 'import jwcrypto') == 0;
my $lib = "$FindBin::Bin/lib";
my $dir = tempdir('ajwt-dpop-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub run {
    my @cmd = @_;
    open my $ph, '-|', @cmd or die "@cmd: $!";
    my $out = do { local $/; <$ph> };
    close $ph;
    die "@cmd: exit $?" if $?;
    chomp $out;
    return $out;
}
sub pyproof { run($py, "$lib/dpop_proof.py", @_) }

# the client's keys, made by jwcrypto
run($py, "$lib/dpop_proof.py", '--gen', 'ES256', '--out', "$dir/es.jwk");
run($py, "$lib/dpop_proof.py", '--gen', 'ES256', '--out', "$dir/other.jwk");
my $jkt = run($py, "$lib/dpop_proof.py", '--key', "$dir/es.jwk",
              '--print-jkt');
like($jkt, qr/^[A-Za-z0-9_-]{43}$/, "the client key's thumbprint: $jkt");

spew("$dir/nonce.secret", 'n' x 40);
my $conf = "AuthJWTRevocationStore shm\n"
    . jwt_location('/p', 'Require valid-jwt')
    . jwt_location('/q', 'AuthJWTDPoP Required', 'Require valid-jwt')
    . jwt_location('/a', "AuthJWTDPoPNonce file:$dir/nonce.secret",
                   'Require valid-jwt')
    . "<Location /f>\n    AuthType jwt\n    AuthName f\n"
    . "    AuthJWTKey \@KEYS\@/ec256.pub\n    AuthJWTProfile fapi2\n"
    . "    Require valid-jwt\n</Location>\n";
my $h = AuthJWT::Instance->new(name => 'dpop', mpm => 'prefork',
                               children => 4, conf => $conf);
spew("$h->{dir}/htdocs/f", "ok f\n");
$h->start;
my $url = $h->url('');

my $bound = tok(cnf => { jkt => $jkt }, ttl => 600);
my $plain = tok(ttl => 600);
sub dpop_get {
    my ($path, $tok, @proofs) = @_;
    return $h->get($path, headers => [[Authorization => "DPoP $tok"],
                                      @proofs ? ([DPoP => @proofs > 1
                                                  ? \@proofs : $proofs[0]])
                                              : ()]);
}
sub proof {
    my (%o) = @_;
    my $path = delete $o{path} // '/p';
    return pyproof('--key', delete $o{key} // "$dir/es.jwk",
                   '--htm', delete $o{htm} // 'GET',
                   '--htu', delete $o{htu} // "$url$path",
                   (exists $o{ath} ? (defined $o{ath} ? ('--ath-token',
                    $o{ath}) : ()) : ('--ath-token', $bound)),
                   map { /^(with-private|no-jti)$/ ? ("--$_")
                                                       : ("--$_", $o{$_}) }
                   grep { $_ ne 'ath' } sort keys %o);
}
sub www { scalar($_[0]->header('WWW-Authenticate')) // '' }

# a good proof, then the same proof again (any child)
my $good = proof();
my $r = dpop_get('/p', $bound, $good);
is($r->code, 200, 'bound token + good ES256 proof (jwcrypto): 200');
my @again = map { dpop_get('/p', $bound, $good)->code } 1 .. 4;
is("@again", '401 401 401 401', 'the same proof again, 4 times: 401');
$r = dpop_get('/p', $bound, $good);
like(www($r), qr/^DPoP algs="[^"]*ES256[^"]*", error="invalid_dpop_proof"$/,
     'replay: DPoP challenge, invalid_dpop_proof');
like($h->log_since(0), qr/AH70121: token refused \(DPoP proof replayed\)/,
     'replay logged (AH70121)');

# each check failing alone
my %bad = (
    'no DPoP header'        => [],
    'two DPoP headers'      => [proof(), proof()],
    'htm POST on a GET'     => [proof(htm => 'POST')],
    'htu of another path'   => [proof(htu => "$url/other")],
    'htu of another port'   => [proof(htu => 'http://127.0.0.1:1/p')],
    'ath of another token'  => [proof(ath => $plain)],
    'no ath'                => [proof(ath => undef)],
    'iat 10 minutes old'    => [proof('iat-offset' => -600)],
    'iat 10 minutes ahead'  => [proof('iat-offset' => 600)],
    'typ JWT'               => [proof(typ => 'JWT')],
    'private key in jwk'    => [proof('with-private' => 1)],
    'jwk of another key'    => [proof('jwk-from' => "$dir/other.jwk")],
    'alg HS256'             => [proof(alg => 'HS256')],
    'no jti'                => [proof('no-jti' => 1)],
);
for my $n (sort keys %bad) {
    my $r = dpop_get('/p', $bound, @{ $bad{$n} });
    is($r->code, 401, "$n: 401");
    like(www($r), qr/error="invalid_dpop_proof"/, "$n: invalid_dpop_proof");
}
# a good proof by another key than the token's
$r = dpop_get('/p', $bound, proof(key => "$dir/other.jwk"));
is($r->code, 401, 'proof by another key than cnf.jkt: 401');
like(www($r), qr/^DPoP .*error="invalid_token"/, '... invalid_token');
like($h->log_since(0), qr/AH70123: .*the DPoP proof's key \S+ is not the token's cnf.jkt/,
     '... logged (AH70123)');

# the binding rules
$r = $h->get('/p', token => $bound);
is($r->code, 401, 'a DPoP-bound token as Bearer: 401 (RFC 9449 7.2)');
like(www($r), qr/^Bearer .*error="invalid_token"/, '... Bearer challenge');
$r = dpop_get('/p', $plain, proof(ath => $plain));
is($r->code, 401, 'an unbound token with the DPoP scheme: 401');
is($h->get('/p', token => $plain)->code, 200, 'an unbound Bearer token: 200');
$r = $h->get('/q', token => $plain);
is($r->code, 401, 'AuthJWTDPoP Required: a bearer token 401');
like(www($r), qr/^DPoP algs="(?=[^"]*ES256)(?=[^"]*PS256)(?=[^"]*EdDSA)[A-Za-z0-9 ]+", error="invalid_token"$/,
     '... with a DPoP challenge');
like(www($h->get('/q')), qr/^DPoP algs="[A-Za-z0-9 ]+"$/,
     'Required, no token: DPoP challenge without error');
is(dpop_get('/q', $bound, proof(path => '/q'))->code, 200,
   'Required: bound token + proof 200');

# the npm jose package, EdDSA
SKIP: {
    my ($node) = grep { -x } map { "$_/node" } split /:/, $ENV{PATH};
    my $ok = $node && system($node, "$lib/dpop_proof.mjs", '--gen', 'EdDSA',
                             '--out', "$dir/ed.jwk") == 0;
    skip 'node or the jose package missing (dev/setup)', 2 unless $ok;
    my $ejkt = run($node, "$lib/dpop_proof.mjs", '--key', "$dir/ed.jwk",
                   '--print-jkt');
    my $etok = tok(cnf => { jkt => $ejkt }, ttl => 600);
    my $p = run($node, "$lib/dpop_proof.mjs", '--key', "$dir/ed.jwk",
                '--htm', 'GET', '--htu', "$url/p", '--ath-token', $etok);
    is(dpop_get('/p', $etok, $p)->code, 200, 'EdDSA proof by jose: 200');
    is(dpop_get('/p', $etok, $p)->code, 401, '... replayed: 401');
}

# server nonces
$r = dpop_get('/a', $bound, proof(path => '/a'));
is($r->code, 401, 'nonces on, a proof without one: 401');
like(www($r), qr/error="use_dpop_nonce"/, '... use_dpop_nonce');
my $nonce = $r->header('DPoP-Nonce') // '';
like($nonce, qr/^[A-Za-z0-9_-]{20,}$/, "... with a DPoP-Nonce ($nonce)");
is(dpop_get('/a', $bound, proof(path => '/a', nonce => $nonce))->code, 200,
   'retry with the nonce: 200');
$r = dpop_get('/a', $bound, proof(path => '/a', nonce => 'x' . substr($nonce, 1)));
is($r->code, 401, 'a forged nonce: 401');
like(www($r), qr/use_dpop_nonce/, '... use_dpop_nonce again');

diag(join "\n", grep { /AH70/ } split /\n/, $h->log_since(0)) if $ENV{AJWT_DPOP_LOG};
# AuthJWTProfile fapi2: sender-constrained tokens only (here DPoP)
{
    my %c = (sub => 'fapi', exp => time + 600);
    my $fb = mint(alg => 'ES256', claims => { %c, cnf => { jkt => $jkt } });
    my $fp = mint(alg => 'ES256', claims => \%c);
    is(dpop_get('/f', $fb, proof(path => '/f', ath => $fb))->code, 200,
       'fapi2: an ES256 DPoP-bound token with its proof: 200');
    my $r = $h->get('/f', token => $fp);
    is($r->code, 401, 'fapi2: an unbound ES256 bearer token: 401');
    like(www($r), qr/^DPoP algs=/, '... with a DPoP challenge');
    like($h->log_since(0), qr/AH70123: .*where AuthJWTProfile fapi2/,
         '... logged (AH70123)');
}

unlike($h->log_since(0), qr/\Q$bound\E/, 'no token in the log');
unlike($h->log_since(0), qr/Segmentation fault|AH00052/, 'no crash');
$h->stop;
done_testing;
