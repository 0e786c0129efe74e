#!/usr/bin/perl
# run.pl: run every tests/*.t (executables speaking TAP) with TAP::Harness and
# end with one "N passed, N failed" line. Exit status 0 only if all passed.
use strict;
use warnings;
use TAP::Harness;
use File::Basename qw(dirname);

my $dir = dirname(__FILE__);
my @files = @ARGV ? @ARGV : sort glob("$dir/*.t");
die "run.pl: no test files\n" unless @files;

my $harness = TAP::Harness->new({
    verbosity => ($ENV{TEST_VERBOSE} ? 1 : 0),
    exec      => sub { my ($h, $file) = @_; return [$file]; },
    timer     => 1,
    failures  => 1,
});
my $agg = $harness->runtests(@files);

my ($passed, $failed, $skipped) = (0, 0, 0);
for my $file (@files) {
    my ($parser) = $agg->parsers($file);
    next unless $parser;
    $skipped += scalar($parser->skipped);
    $passed  += scalar($parser->passed) - scalar($parser->skipped);
    $failed  += scalar($parser->failed);
    # A script that died, exited non-zero, or ran a different number of
    # tests than it planned counts as one more failure.
    $failed++ if !$parser->failed && ($parser->has_problems || $parser->exit);
}
print "$passed passed, $failed failed" . ($skipped ? ", $skipped skipped" : "") . "\n";
exit($failed ? 1 : 0);
