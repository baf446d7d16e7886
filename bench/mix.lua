-- wrk: 专家库's search on a mix of terms (bench/search_terms.py). Each request draws one of
-- the paths in the file named after `--` (one URL-encoded path a line), from a fixed seed per
-- thread, so that two runs send the same terms in the same order. The counting and the JSON
-- line are report.lua's.
dofile("bench/report.lua")

local report_setup, report_init = setup, init
local started = 0

function setup(thread)
  started = started + 1
  thread:set("number", started)
  report_setup(thread)
end

function init(args)
  report_init(args)
  paths = {}
  for line in io.lines(args[1]) do
    table.insert(paths, line)
  end
  math.randomseed(2026 + number)
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
