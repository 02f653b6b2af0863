# SPDX-License-Identifier: Apache-2.0
# AuthJWTJwksURL against a local HTTPS identity provider (httpd + mod_ssl,
# certificates from a CA this test makes with the openssl CLI): first
# fetch, rotation through the unknown-kid refresh, its rate limit, the
# provider going down, bad documents (invalid JSON, too big, not a JWK Set,
# a secret key, too slow) that must leave the last good keys in place,
# certificates that do not verify, a start-up with the provider away
# (503 until keys arrive) and the refuse-to-start mode.
#
# Each scenario gets its own httpd running the module, so the shared key
# cache and its 60 s refresh limit start afresh; every fetch is counted in
# the provider's access log. The unknown-kid refresh may happen only 60 s
# after the last fetch (the start-up one included): the scenarios that need
# it start in phase 1 and finish in phase 2, a minute later, with the
# others run in between; so the file takes a little over a minute.
# Discovery scenarios that need that refresh are here too (t/32 has the
# rest).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir make_ca make_cert spew slurp jwk jwks_json
                         free_port wait_until);
use Time::HiRes ();
use POSIX ();

my $top = "$FindBin::Bin/..";
plan skip_all => 'AuthJWTJwksURL not declared by mod_auth_jwt*.c yet'
    unless join("", map { slurp($_) } glob("$top/mod_auth_jwt*.c")) =~ /"AuthJWTJwksURL"/;

# Log tags of the JWKS source (mod_auth_jwt_authn.c, mod_auth_jwt_shared.c).
my %TAG = (nokeys => 'AH70032', failed => 'AH70033', updated => 'AH70034',
           startup_failed => 'AH70038', startup_keys => 'AH70039');
# AJWT_IDP_ONLY=REGEX runs only the scenarios whose name matches.
sub want { !$ENV{AJWT_IDP_ONLY} || $_[0] =~ /$ENV{AJWT_IDP_ONLY}/ }

my $t0 = Time::HiRes::time();
my $dir = tmpdir();
my $k = keys_dir();
my $ca = make_ca($dir, 'ca');
my $rogue = make_ca($dir, 'rogue-ca');
my $idp = AuthJWT::Provider->idp(cert => make_cert($dir, 'idp', $ca));
ok($idp->start, 'HTTPS provider starts') or diag($idp->stderr);

my %jwk = (
    A => jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
    B => jwk("$k/rsa2.pub", kid => 'B', use => 'sig', alg => 'RS256'),
);
my %signer = (A => 'rsa', B => 'rsa2');
sub set_jwks {
    my ($name, @kids) = @_;
    $idp->set($name, body => jwks_json(map { $jwk{$_} } @kids));
}

# tok(KID, [KEY]): a valid RS256 token naming KID, signed with KEY
# (default: the private key of that kid; forged kids use evil-rsa).
sub tok {
    my ($kid, $key) = @_;
    return mint(alg => 'RS256', key => $key || $signer{$kid} || 'evil-rsa',
                header => { kid => $kid, typ => 'JWT' });
}

# module(url => NAME or URL, ca => FILE|'', refresh => N, startup => MODE,
#        loc => [more lines]): an httpd with the module, not started.
sub module {
    my %o = @_;
    my $url = $o{url} =~ m{^https?://} ? $o{url} : $idp->url("/$o{url}");
    my $cafile = exists $o{ca} ? $o{ca} : $ca->{crt};
    my $h = AuthJWT::Provider->module(mpm => $o{mpm}, conf => [
        ($o{startup} ? ("AuthJWTJwksStartup $o{startup}") : ()),
        '<Location "/p/">',
        'AuthType jwt',
        'AuthName idp',
        "AuthJWTJwksURL $url" . ($o{refresh} ? " $o{refresh}" : ''),
        ($cafile ? ("AuthJWTJwksCA $cafile") : ()),
        'Require valid-jwt',
        'AuthzSendForbiddenOnFailure On',
        '</Location>',
    ]);
    $h->doc('p/ok.txt');
    return $h;
}

sub started {
    my ($h, $what) = @_;
    my $ok = $h->start;
    ok($ok, "$what: httpd starts") or diag($h->stderr . $h->error_log);
    return $ok;
}

# code(H, TOKEN): the status for /p/ok.txt
sub code { $_[0]->get('/p/ok.txt', $_[1])->code }


# parallel(SUBS...): run each sub in a child process at once; their
# return values (one line of text each), in order. Children leave with
# POSIX::_exit so that no END block stops the servers under the parent.
sub parallel {
    my @subs = @_;
    my @pids;
    for my $i (0 .. $#subs) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            my $v = eval { $subs[$i]->() };
            $v = "died: $@" unless defined $v;
            spew("$dir/par.$$", $v);
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    my @out;
    for my $pid (@pids) {
        waitpid $pid, 0;
        push @out, slurp("$dir/par.$pid");
        unlink "$dir/par.$pid";
    }
    return @out;
}
sub timed_code {
    my ($h, $t) = @_;
    my $t0 = Time::HiRes::time();
    my $c = code($h, $t);
    return sprintf '%d %.2f', $c, Time::HiRes::time() - $t0;
}

# ============================================================ phase 1
# The unknown-kid refresh is allowed once per 60 s counted from the last
# fetch, the start-up fetch included. The scenarios that need it start
# their httpd now, check what they can at once, and are finished in phase
# 2, a minute later, while the other scenarios run in between.
my @later;      # [start time, name, sub to run in phase 2]
sub later {
    my ($name, $h, $code) = @_;
    push @later, [Time::HiRes::time(), $name, $h, $code];
}

# ---------------------------------------- first fetch, then rotation
if (want('rotation')) {
    set_jwks('rotate.json', 'A');
    my $m = $idp->access_mark;
    my $h = module(url => 'rotate.json');
    if (started($h, 'first fetch')) {
        is($idp->hits('/rotate.json', $m), 1,
           'first fetch: one GET at start-up');
        is(code($h, tok('A')), 200, 'first fetch: kid A accepted');
        like($h->error_log, qr/$TAG{startup_keys}:.*\b1 key/,
             'first fetch: keys line in the log');
        my $lm = $h->log_mark;
        is(code($h, tok('A', 'evil-rsa')), 401,
           'first fetch: kid A with a foreign signature: 401');
        like($h->log_since($lm), qr/AH70008:/, '... bad signature logged');
        # one token string, used twice: the second answer may come from
        # the verified-token cache, which must not outlive kid A's removal
        my $kept = tok('A');
        is(code($h, $kept), 200, 'first fetch: a token of kid A');
        is(code($h, $kept), 200, 'first fetch: the same token again');
        is($idp->hits('/rotate.json', $m), 1,
           'first fetch: requests do not refetch');
        later(rotation => $h, sub {
            set_jwks('rotate.json', 'B');      # B published, A withdrawn
            my $m = $idp->access_mark;
            my $lm = $h->log_mark;
            is(code($h, tok('B')), 200,
               'rotation: token with the new kid B accepted at once');
            is($idp->hits('/rotate.json', $m), 1,
               'rotation: the unknown kid caused one fetch');
            like($h->log_since($lm), qr/$TAG{updated}:/,
                 'rotation: keys updated');
            $lm = $h->log_mark;
            is(code($h, tok('A')), 401, 'rotation: withdrawn kid A refused');
            like($h->log_since($lm), qr/AH70007:/, '... as no matching key');
            my @k = map { code($h, $kept) } 1 .. 4;
            is("@k", '401 401 401 401',
               'rotation: a token of kid A verified (and cached) before '
               . 'the rotation is refused too');
            my @c = map { code($h, tok('B')) } 1 .. 8;
            is("@c", join(' ', (200) x 8),
               'rotation: kid B accepted by every child (one fetch)');
            is($idp->hits('/rotate.json', $m), 1,
               'rotation: the refused kid A did not refetch within 60 s');
        });
    }
}

# ---------------------------------------------- unknown-kid rate limit
# (worker MPM: the limit holds across processes and threads)
if (want('limit')) {
    set_jwks('limit.json', 'A');
    my $h = module(url => 'limit.json', mpm => 'worker');
    if (started($h, 'rate limit')) {
        my $m = $idp->access_mark;
        is(code($h, tok('forged-0')), 401,
           'rate limit: forged kid right after start-up refused');
        is(code($h, tok('A')), 200, 'rate limit: kid A');
        later(limit => $h, sub {
            my $m = $idp->access_mark;
            my @codes = map { code($h, tok("forged-$_")) } 1 .. 6;
            is("@codes", '401 401 401 401 401 401',
               'rate limit: six forged kids refused');
            is($idp->hits('/limit.json', $m), 1,
               'rate limit: six forged kids in a row, one fetch');
            set_jwks('limit.json', 'A', 'B');
            is(code($h, tok('B')), 401,
               'rate limit: a real new kid within the 60 s waits too');
            is($idp->hits('/limit.json', $m), 1,
               'rate limit: still one fetch');
            is(code($h, tok('A')), 200, 'rate limit: kid A unaffected');
        });
    }
}


# ------------------------------- a burst of new-kid tokens: one fetch
# (prefork: eight requests in four processes race for one lease)
if (want('burst')) {
    set_jwks('burst.json', 'A');
    my $h = module(url => 'burst.json', mpm => 'prefork');
    if (started($h, 'burst')) {
        later(burst => $h, sub {
            set_jwks('burst.json', 'A', 'B');
            my $m = $idp->access_mark;
            my @r = parallel(map { my $i = $_; sub {
                Time::HiRes::sleep(0.01 * $i); timed_code($h, tok('B')) } }
                1 .. 8);
            my @codes = map { (split / /)[0] } @r;
            is($idp->hits('/burst.json', $m), 1,
               'burst: eight concurrent new-kid requests, one fetch');
            ok((grep { $_ == 200 } @codes),
               "burst: the fetching request is answered 200 (@codes)");
            my @c = map { code($h, tok('B')) } 1 .. 6;
            is("@c", join(' ', (200) x 6), 'burst: then kid B everywhere');
        });
    }
}

# ---------------------------------------------------------- provider down
my $idp_down;
if (want('down')) {
    $idp_down = AuthJWT::Provider->idp(cert => make_cert($dir, 'down', $ca));
    ok($idp_down->start, 'provider down: its provider starts');
    $idp_down->set('keys.json', body => jwks_json($jwk{A}));
    my $h = module(url => $idp_down->url('/keys.json'));
    if (started($h, 'provider down')) {
        is(code($h, tok('A')), 200, 'provider down: kid A before');
        $idp_down->stop;
        is(code($h, tok('A')), 200, 'provider down: kid A just after');
        later(down => $h, sub {
            my $lm = $h->log_mark;
            is(code($h, tok('C')), 401,
               'provider down: an unknown kid refused (refresh fails)');
            ok($h->wait_log(qr/\[auth_jwt:warn\].*$TAG{failed}:.*last good/,
                            5, $lm),
               'provider down: warning that the last good keys are kept')
                or diag($h->log_since($lm));
            is(code($h, tok('A')), 200,
               'provider down: kid A keeps working on the last good keys');
            my @c = map { code($h, tok("C$_")) } 1 .. 5;
            is("@c", '401 401 401 401 401',
               'provider down: more unknown kids refused');
            my @w = $h->log_since($lm) =~ /$TAG{failed}:/g;
            is(scalar @w, 1,
               'provider down: one attempt, one warning (rate limited)');
            ok($idp_down->start, 'provider up again')
                or diag($idp_down->stderr);
            is(code($h, tok('A')), 200, 'provider down: kid A after');
        });
    }
}

# ---------------------------------------- bad documents keep the old keys
my $big = '{"keys":[' . json_c()->encode($jwk{A})
        . '],"padding":"' . ('x' x (600 * 1024)) . '"}';
my @bad = (
    ['slow answer past the timeout', body => jwks_json($jwk{B}), sleep => 8],
    ['invalid JSON', body => '{"keys":[{"kty":"RSA",'],
    ['HTML error page with status 200', body => '<html>maintenance</html>',
     type => 'text/html'],
    ['huge body (600 KiB, otherwise a good JWK Set)', body => $big],
    ['a JSON object that is not a JWK Set', body => '{"issuer":"x"}'],
    ['"keys" not an array', body => '{"keys":{"kid":"A"}}'],
    ['an empty key set', body => '{"keys":[]}'],
    ['a secret (oct) key', body => jwks_json(
        { kty => 'oct', kid => 'S', k => b64u('s' x 64) })],
    ['status 500 with a good JWK Set', body => jwks_json($jwk{B}),
     status => 500],
    ['huge body announced by Content-Length', body => $big, len => 1],
    ['redirect (302) to a good JWK Set', status => 302,
     hdr => 'Location: ' . $idp->url('/redirect-target.json')],
);
$idp->set('redirect-target.json', body => jwks_json($jwk{A}, $jwk{B}));
for my $i (0 .. $#bad) {
    my ($what, %answer) = @{ $bad[$i] };
    next unless want("bad$i");
    my $name = "bad$i.json";
    set_jwks($name, 'A');
    my $h = module(url => $name);
    next unless started($h, "bad JWKS ($what)");
    is(code($h, tok('A')), 200, "bad JWKS ($what): kid A before");
    $idp->set($name, %answer);
    later("bad$i" => $h, sub {
        my $lm = $h->log_mark;
        my $m = $idp->access_mark;
        my ($c, $took, $other);
        if ($answer{sleep}) {
            # while one request waits for the slow provider, another
            # with a known kid must not wait behind it
            my @r = parallel(sub { timed_code($h, tok('B')) },
                             sub { Time::HiRes::sleep(1);
                                   timed_code($h, tok('A')) });
            ($c, $took) = split / /, $r[0];
            $other = $r[1];
        }
        else {
            my $t = Time::HiRes::time();
            $c = code($h, tok('B'));
            $took = Time::HiRes::time() - $t;
        }
        is($c, 401, "bad JWKS ($what): kid B refused");
        ok($h->wait_log(qr/$TAG{failed}:/, 10, $lm),
           "bad JWKS ($what): fetch failure logged")
            or diag($h->log_since($lm));
        is(code($h, tok('A')), 200, "bad JWKS ($what): kid A still accepted");
        if ($answer{sleep}) {
            cmp_ok($took, '<', 7.5, "bad JWKS ($what): gave up before the "
                   . "answer came (${\ sprintf '%.1f', $took} s)");
            my ($oc, $ot) = split / /, $other;
            is($oc, 200, "bad JWKS ($what): meanwhile kid A answered 200");
            cmp_ok($ot, '<', 1.5, "bad JWKS ($what): meanwhile kid A not "
                   . "held up by the fetch ($ot s)");
        }
        else {
            is($idp->hits("/$name", $m), 1, "bad JWKS ($what): one fetch");
        }
    });
}



# ----------------------------------------- periodic refresh and max-age
# REFRESH_SECONDS is at least 60: started now, checked in phase 2. Only
# kid A (known) is sent, so only the periodic refresh can drop it.
if (want('period')) {
    set_jwks('period.json', 'A');
    my $h = module(url => 'period.json', refresh => 60);
    if (started($h, 'period')) {
        is(code($h, tok('A')), 200, 'period: kid A');
        set_jwks('period.json', 'B');
        later(period => $h, sub {
            my $m = $idp->access_mark;
            my $gone = wait_until(5, sub { code($h, tok('A')) == 401 });
            ok($gone, 'period: after REFRESH_SECONDS the keys were replaced');
            is($idp->hits('/period.json', $m), 1, 'period: one fetch');
            is(code($h, tok('B')), 200, 'period: kid B');
        });
    }
}
if (want('maxage')) {
    # max-age of the answer replaces REFRESH_SECONDS
    $idp->set('maxage.json', body => jwks_json($jwk{A}),
              cc => 'public, max-age=3600');
    my $h = module(url => 'maxage.json', refresh => 60);
    if (started($h, 'max-age')) {
        set_jwks('maxage.json', 'B');
        later(maxage => $h, sub {
            my $m = $idp->access_mark;
            is(code($h, tok('A')), 200,
               'max-age: kid A kept past REFRESH_SECONDS');
            is(code($h, tok('A')), 200, 'max-age: and again');
            is($idp->hits('/maxage.json', $m), 0, 'max-age: no fetch');
        });
    }
}

# ---------------------- discovery: jwks_uri moves, document broken later
sub disco_doc {
    my ($name, $iss, $jwks_uri) = @_;
    $idp->set($name, body => json_c()->encode({
        issuer => $iss, jwks_uri => $jwks_uri,
        response_types_supported => ['code'],
        subject_types_supported => ['public'],
        id_token_signing_alg_values_supported => ['RS256'] }));
}
sub disco_module {
    my ($name) = @_;
    my $h = AuthJWT::Provider->module(conf => [
        '<Location "/p/">', 'AuthType jwt', 'AuthName idp',
        'AuthJWTDiscoveryURL ' . $idp->url("/$name"),
        "AuthJWTJwksCA $ca->{crt}",
        'Require valid-jwt', 'AuthzSendForbiddenOnFailure On',
        '</Location>']);
    $h->doc('p/ok.txt');
    return $h;
}
my $DISS = 'https://login.example.test/realms/main';
sub dtok { mint(alg => 'RS256', key => $signer{$_[0]} || 'evil-rsa',
                header => { kid => $_[0], typ => 'JWT' },
                claims => { iss => $_[1] || $DISS }) }
if (want('disco-move')) {
    set_jwks('move-keys-1.json', 'A');
    disco_doc('move-disco.json', $DISS, $idp->url('/move-keys-1.json'));
    my $h = disco_module('move-disco.json');
    if (started($h, 'discovery move')) {
        is(code($h, dtok('A')), 200, 'discovery move: kid A');
        later('disco-move' => $h, sub {
            set_jwks('move-keys-2.json', 'B');
            disco_doc('move-disco.json', $DISS,
                      $idp->url('/move-keys-2.json'));
            my $m = $idp->access_mark;
            is(code($h, dtok('B')), 200,
               'discovery move: kid B found through the new jwks_uri');
            is($idp->hits('/move-disco.json', $m), 1,
               'discovery move: document fetched again');
            is($idp->hits('/move-keys-2.json', $m), 1,
               'discovery move: new jwks_uri fetched');
            is(code($h, dtok('A')), 401,
               'discovery move: kid A gone with the old set');
        });
    }
}
if (want('disco-broken')) {
    set_jwks('broken-keys.json', 'A');
    disco_doc('broken-disco.json', $DISS, $idp->url('/broken-keys.json'));
    my $h = disco_module('broken-disco.json');
    if (started($h, 'discovery broken later')) {
        is(code($h, dtok('A')), 200, 'discovery broken later: kid A');
        $idp->set('broken-disco.json', body => '{"issuer":');
        later('disco-broken' => $h, sub {
            my $lm = $h->log_mark;
            is(code($h, dtok('B')), 401,
               'discovery broken later: unknown kid refused');
            ok($h->wait_log(qr/$TAG{failed}:/, 5, $lm),
               'discovery broken later: failure logged')
                or diag($h->log_since($lm));
            is(code($h, dtok('A')), 200,
               'discovery broken later: kid A still accepted');
            is(code($h, dtok('A', 'https://x.example.test')), 401,
               'discovery broken later: the remembered issuer still '
               . 'enforced');
        });
    }
}


# ------------------------------------------ graceful restart keeps keys
if (want('graceful')) {
    my $idp_g = AuthJWT::Provider->idp(cert => make_cert($dir, 'gr', $ca));
    ok($idp_g->start, 'graceful: its provider starts');
    $idp_g->set('keys.json', body => jwks_json($jwk{A}));
    my $h = module(url => $idp_g->url('/keys.json'));
    if (started($h, 'graceful')) {
        is(code($h, tok('A')), 200, 'graceful: kid A');
        $idp_g->stop;
        my $lm = $h->log_mark;
        ok($h->graceful, 'graceful: restarted with the provider away');
        is(code($h, tok('A')), 200,
           'graceful: keys kept in shared memory across the restart');
        unlike($h->log_since($lm), qr/$TAG{startup_failed}:/,
               'graceful: no start-up failure (nothing refetched)');
        my @c = map { code($h, tok('A')) } 1 .. 6;
        is("@c", join(' ', (200) x 6), 'graceful: every new child has them');
    }
    $h->stop;
}

# --------------------------------------------------- certificates refused
# One instance, a location per case, each with its own URL; plus one
# location whose provider verifies, to show the instance itself works.
if (want('cert')) {
    my $idp_rogue = AuthJWT::Provider->idp(
        cert => make_cert($dir, 'rogue-srv', $rogue));
    my $idp_host = AuthJWT::Provider->idp(
        cert => make_cert($dir, 'wrong-host', $ca, 'idp.example.net'));
    ok($idp_rogue->start && $idp_host->start,
       'providers with bad certificates start');
    $idp_rogue->set('keys.json', body => jwks_json($jwk{A}));
    $idp_host->set('keys.json', body => jwks_json($jwk{A}));
    set_jwks('cert-ok.json', 'A');
    set_jwks('cert-other-ca.json', 'A');
    set_jwks('cert-system.json', 'A');
    my @cases = (
        [ok => $idp->url('/cert-ok.json'), $ca->{crt}, 200],
        ['server cert from another CA' => $idp_rogue->url('/keys.json'),
         $ca->{crt}, 503],
        ['AuthJWTJwksCA names another CA' =>
         $idp->url('/cert-other-ca.json'), $rogue->{crt}, 503],
        ['certificate for another host name' => $idp_host->url('/keys.json'),
         $ca->{crt}, 503],
        ['test CA not in the system store (no AuthJWTJwksCA)' =>
         $idp->url('/cert-system.json'), '', 503],
    );
    my @conf;
    for my $i (0 .. $#cases) {
        my (undef, $url, $cafile) = @{ $cases[$i] };
        push @conf, "<Location \"/c$i/\">", 'AuthType jwt', 'AuthName idp',
            "AuthJWTJwksURL $url", ($cafile ? "AuthJWTJwksCA $cafile" : ()),
            'Require valid-jwt', 'AuthzSendForbiddenOnFailure On',
            '</Location>';
    }
    my $h = AuthJWT::Provider->module(conf => \@conf);
    $h->doc("c$_/ok.txt") for 0 .. $#cases;
    if (started($h, 'certificates')) {
        like($h->error_log, qr/\[auth_jwt:warn\].*$TAG{startup_failed}:/,
             'certificates: start-up fetch failures logged as warnings');
        for my $i (0 .. $#cases) {
            my ($what, undef, undef, $want) = @{ $cases[$i] };
            my $lm = $h->log_mark;
            my $r = $h->get("/c$i/ok.txt", tok('A'));
            subtest "certificate: $what -> $want" => sub {
                is($r->code, $want, "status $want");
                if ($want == 503) {
                    like($r->header('Retry-After') // '', qr/^\d+$/,
                         'Retry-After');
                    like($h->log_since($lm), qr/$TAG{nokeys}:/,
                         'no keys fetched yet, logged');
                }
            };
        }
        my $r = $h->get('/c1/ok.txt');
        is($r->code, 401, 'certificates: no token at all is still a 401');
    }
    $h->stop;
    $idp_rogue->stop;
    $idp_host->stop;
}

# ------------------------- start-up with the provider away, then it comes
# (prefork: the keys one child fetched must reach every other child)
if (want('away')) {
    my $later = AuthJWT::Provider->idp(cert => make_cert($dir, 'later', $ca));
    $later->set('keys.json', body => jwks_json($jwk{A}));
    my $h = module(url => $later->url('/keys.json'), mpm => 'prefork');
    if (started($h, 'provider away at start-up')) {
        like($h->error_log, qr/\[auth_jwt:warn\].*$TAG{startup_failed}:/,
             'away: start-up fetch failure is a warning');
        my $r = $h->get('/p/ok.txt', tok('A'));
        is($r->code, 503, 'away: 503 until keys arrive');
        like($r->header('Retry-After') // '', qr/^\d+$/, 'away: Retry-After');
        is($h->get('/p/ok.txt')->code, 401,
           'away: a request without a token is still 401');
        ok($later->start, 'away: the provider comes up');
        my $t = Time::HiRes::time();
        my $got = wait_until(30, sub { code($h, tok('A')) == 200 });
        ok($got, sprintf 'away: 200 once a retry fetched the keys (%.1f s)',
           Time::HiRes::time() - $t);
        like($h->error_log, qr/$TAG{updated}:/, 'away: keys-updated line');
        # a retry another child began before the keys landed may still be
        # on its way to the provider: let it end before counting fetches
        sleep 1;
        my $m = $later->access_mark;
        my @c = map { code($h, tok('A')) } 1 .. 12;
        is("@c", join(' ', (200) x 12),
           'away: every prefork child has the keys now');
        is($later->hits('/keys.json', $m), 0, 'away: without fetching');
    }
    $h->stop;
    $later->stop;
}

# --------------------------------------------- AuthJWTJwksStartup fail
if (want('startup')) {
    my $port = free_port();
    my $h = module(url => "https://127.0.0.1:$port/keys.json",
                   startup => 'fail');
    ok(!$h->start, 'startup fail: httpd does not come up');
    ok($h->wait_exit(10), 'startup fail: httpd exited');
    isnt($h->exit_status, 0, 'startup fail: non-zero exit status');
    like($h->error_log . $h->stderr, qr/\[auth_jwt:emerg\].*$TAG{startup_failed}:/,
         'startup fail: emerg start-up failure in the log');
    $h->stop;

    set_jwks('startup-ok.json', 'A');
    $h = module(url => 'startup-ok.json', startup => 'fail');
    ok($h->start, 'startup fail: starts when the provider answers');
    is(code($h, tok('A')), 200, 'startup fail: and serves');
    $h->stop;
}

# ============================================================ phase 2
for my $l (@later) {
    my ($t, $name, $h, $code) = @$l;
    my $wait = $t + 61 - Time::HiRes::time();
    Time::HiRes::sleep($wait) if $wait > 0;
    $code->();
    $h->stop;
}

is($idp->hits('/redirect-target.json', 0), 0, 'a redirect is never followed')
    if want('bad10');
$idp->stop;
diag(sprintf 'ran %.1f s', Time::HiRes::time() - $t0);
done_testing;
