//! Which stations answer (README step 3): those nearest a shared location,
//! those near a typed place (a station that fits the question, such as 24
//! hours or parking, moves up), those in a district, and what to note when
//! none is near (the reply says it).

use crate::geo;
use crate::knowledge::Place;

use super::{Answer, Engine, Kind, Note};

impl Engine {
    /// The stations nearest to a shared location; `minute` (after midnight,
    /// Beijing time) decides "open now".
    pub fn nearby_at(&self, lat: f64, lon: f64, minute: u16) -> Answer {
        if !lat.is_finite() || !lon.is_finite() || !geo::in_beijing(lat, lon) {
            return Answer::sure(Kind::OutsideBeijing, None);
        }
        let mut a = Answer::sure(Kind::Nearby, None);
        let near = self.station_index.nearest(lat, lon, geo::NEAREST_COUNT);
        let within: Vec<(usize, f64)> = near.iter().copied().filter(|(_, d)| *d <= geo::NEARBY_RADIUS_M).collect();
        let shown = if within.is_empty() {
            a.note = Some(Note::NoneWithinRadius);
            near.into_iter().take(3).collect()
        } else {
            within
        };
        for (i, d) in shown {
            a.stations.push(self.hit(i, Some(d), minute));
        }
        self.cite_stations(&mut a);
        a.context = self.list_context(&a, None);
        a
    }

    /// Stations near a typed place. For a district, the stations in it ranked
    /// by how well they fit the question (a driver asking about parking gets
    /// the drivers' station first); for a neighbourhood, the nearest ones.
    pub(super) fn place_answer(&self, place: &Place, norm: &str, aside: &str, minute: u16) -> Answer {
        let mut a = Answer::sure(Kind::Nearby, None);
        a.place = Some(place.name.clone());
        let q = if aside.is_empty() { self.query(norm) } else { self.query_split(norm, aside) };
        let fit = |i: usize| q.overlap(&self.station_terms[i]);
        let stations = &self.knowledge.stations;
        if place.is_district() {
            let district = place.name.as_str();
            let mut ranked: Vec<(usize, f64, f32)> = self
                .district_stations
                .get(strip_district(district))
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|&i| (i, geo::haversine_m(place.lat, place.lon, stations[i].lat, stations[i].lon), fit(i)))
                .collect();
            ranked.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.1.total_cmp(&y.1)));
            if ranked.is_empty() {
                a.note = Some(Note::NoneInDistrict(district.to_string()));
                ranked = self.station_index.nearest(place.lat, place.lon, 3).into_iter().map(|(i, d)| (i, d, 0.0)).collect();
            }
            for (i, _, _) in ranked.into_iter().take(geo::NEAREST_COUNT) {
                a.stations.push(self.hit(i, None, minute));
            }
        } else {
            self.list_near(&mut a, place.lat, place.lon, fit, minute);
        }
        self.cite_stations(&mut a);
        a.context = self.list_context(&a, Some(place).filter(|p| p.is_district()));
        a
    }

    /// The stations around station `i`, those that fit the question first
    /// ("有充电的吗" after a station's answer). A station whose point is only
    /// its district's gets its district's stations.
    pub(super) fn around_station(&self, i: usize, norm: &str, minute: u16) -> Answer {
        let s = &self.knowledge.stations[i];
        if !s.locatable()
            && let Some(d) = self.knowledge.places.iter().find(|p| p.is_district() && strip_district(&p.name) == strip_district(&s.district))
        {
            return self.place_answer(d, norm, "", minute);
        }
        let mut a = Answer::sure(Kind::Nearby, None);
        a.place = Some(s.name.clone());
        let q = self.query(norm);
        self.list_near(&mut a, s.lat, s.lon, |j| q.overlap(&self.station_terms[j]), minute);
        self.cite_stations(&mut a);
        a.context = self.list_context(&a, None);
        a
    }

    /// Lists in `a` the stations within the radius of a point, nearest
    /// first, but a station that fits the question (24 hours, parking,
    /// drivers) moves up; when none is within it, the nearest three.
    fn list_near(&self, a: &mut Answer, lat: f64, lon: f64, fit: impl Fn(usize) -> f32, minute: u16) {
        let mut within: Vec<(usize, f64, f32)> = self.station_index.within(lat, lon, geo::NEARBY_RADIUS_M).into_iter().map(|(i, d)| (i, d, fit(i))).collect();
        if within.is_empty() {
            a.note = Some(Note::NoneWithinRadius);
            within = self.station_index.nearest(lat, lon, 3).into_iter().map(|(i, d)| (i, d, 0.0)).collect();
        } else {
            within.sort_by(|x, y| (y.2 > 0.0).cmp(&(x.2 > 0.0)).then(x.1.total_cmp(&y.1)));
            within.truncate(geo::NEAREST_COUNT);
        }
        for (i, d, _) in within {
            a.stations.push(self.hit(i, Some(d), minute));
        }
    }
}

/// A district's name without 区, as stations and places may write it either way.
pub(super) fn strip_district(name: &str) -> &str {
    name.trim_end_matches('区')
}
