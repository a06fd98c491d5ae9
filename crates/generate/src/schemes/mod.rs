//! The planted schemes. Each is planted while the world is built (its people, firms, cards and
//! exchanges are in the reference tables like everyone else's) and then acts day by day.

use crate::out::Out;
use crate::world::World;

pub trait Scheme {
    fn day(&mut self, w: &World, d: i32, out: &mut Out);
}

pub struct Schemes {
    list: Vec<Box<dyn Scheme>>,
    groups: Vec<(&'static str, u32)>,
}

impl Schemes {
    pub fn plant(_w: &mut World) -> Schemes {
        Schemes {
            list: Vec::new(),
            groups: Vec::new(),
        }
    }

    pub fn day(&mut self, w: &World, d: i32, out: &mut Out) {
        for s in &mut self.list {
            s.day(w, d, out);
        }
    }

    pub fn groups(&self) -> Vec<(&'static str, u32)> {
        self.groups.clone()
    }
}
